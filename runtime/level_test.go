package runtime

import (
	"errors"
	"testing"
)

func TestParseLevel(t *testing.T) {
	t.Parallel()
	for _, l := range []Level{LevelUser, LevelOperator, LevelAdmin} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	_, err := ParseLevel("x")
	if !errors.Is(err, ErrLevel) || err.Error() != "'level' only supports 'user', 'operator', and 'admin' (got 'x')" {
		t.Errorf("ParseLevel(x): %v", err)
	}
	if !(LevelUser < LevelOperator && LevelOperator < LevelAdmin) {
		t.Error("levels are not ordered")
	}
}
