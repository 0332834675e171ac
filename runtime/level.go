package runtime

import (
	"errors"
	"fmt"
)

// Level is the access level of a socket or session. Levels are ordered: a
// command needs at least its level.
type Level uint8

const (
	LevelUser     Level = 1 // read-only commands
	LevelOperator Level = 2 // the default level of a stats socket
	LevelAdmin    Level = 3 // every command
)

// ErrLevel is returned (wrapped, with the offending word) by ParseLevel. Its
// text is HAProxy's configuration message, without a package prefix, so the
// configuration loader can print it after file:line as haproxy does.
var ErrLevel = errors.New("'level' only supports 'user', 'operator', and 'admin'")

// ParseLevel returns the level named by a `level` bind parameter.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "user":
		return LevelUser, nil
	case "operator":
		return LevelOperator, nil
	case "admin":
		return LevelAdmin, nil
	}
	return 0, fmt.Errorf("%w (got '%s')", ErrLevel, s)
}

// String returns the level's word, as `show cli level` prints it.
func (l Level) String() string {
	switch l {
	case LevelUser:
		return "user"
	case LevelOperator:
		return "operator"
	case LevelAdmin:
		return "admin"
	}
	return "none"
}
