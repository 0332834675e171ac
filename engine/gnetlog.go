package engine

import "log"

// gnetLogger is the logger given to gnet: it drops gnet's debug, info and
// warning lines (gnet's default zap logger writes INFO lines with stack
// traces, whatever WithLogLevel says unless it logs to a file) and passes
// errors on to the standard logger.
type gnetLogger struct{}

func (gnetLogger) Debugf(string, ...any) {}
func (gnetLogger) Infof(string, ...any)  {}
func (gnetLogger) Warnf(string, ...any)  {}

func (gnetLogger) Errorf(format string, args ...any) { log.Printf("gnet: "+format, args...) }
func (gnetLogger) Fatalf(format string, args ...any) { log.Fatalf("gnet: "+format, args...) }
