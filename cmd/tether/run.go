package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"tether/engine"
	"tether/engine/config"
	"tether/runtime"
)

// runOptions are the flags that matter once the configuration is loaded.
type runOptions struct {
	debug    bool
	pidFile  string
	handover string // -x: the previous process's socket
	oldPIDs  []int  // -sf
}

// run serves cfg in the foreground until a stop signal.
func run(cfg *config.Config, o runOptions) error {
	if n := cfg.Global.UlimitN; n > 0 {
		if _, err := engine.SetNoFile(uint64(n)); err != nil {
			fmt.Fprintf(os.Stderr, "[WARNING] cannot set the descriptor limit to %d (ulimit-n): %v\n", n, err)
		}
	} else if _, err := engine.RaiseNoFile(); err != nil && o.debug {
		fmt.Fprintln(os.Stderr, "[WARNING] cannot raise the descriptor limit:", err)
	}
	e, err := engine.New(cfg)
	if err != nil {
		return err
	}
	var inherited map[string]*os.File
	if path := handoverPath(cfg, o); path != "" {
		inherited, err = engine.FetchListeners(path, 5*time.Second)
		if err != nil && o.handover != "" {
			return fmt.Errorf("cannot take the listening sockets over from %s: %w", path, err)
		}
	}
	if err := e.Listen(inherited); err != nil {
		return err
	}
	for _, f := range inherited {
		_ = f.Close() // sockets of binds this configuration no longer has
	}
	pidFile := o.pidFile
	if pidFile == "" {
		pidFile = cfg.Global.PidFile
	}
	if pidFile != "" {
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("cannot write the pid file: %w", err)
		}
	}
	// The runtime API sockets; those with `expose-fd listeners` hand the
	// listening sockets to the next process of a reload.
	sockets, err := runtime.ListenAll(cfg, e)
	if err != nil {
		_ = e.Stop(context.Background())
		return err
	}
	defer sockets.Close()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGINT)
	errc := make(chan error, 1)
	go func() { errc <- e.Serve() }()
	select {
	case <-e.Ready():
	case err := <-errc:
		return err
	}
	// Every socket is bound: confine the process as the configuration asks.
	if err := confine(&cfg.Global); err != nil {
		_ = e.Stop(context.Background())
		<-errc
		return err
	}
	for _, pid := range o.oldPIDs {
		_ = syscall.Kill(pid, syscall.SIGUSR1) // the old process stops gracefully
	}
	select {
	case err := <-errc:
		return err
	case sig := <-sigs:
		// A graceful stop waits for every connection unless
		// hard-stop-after bounds it, as HAProxy's soft stop.
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if d := cfg.Global.HardStopAfter; d > 0 {
			ctx, cancel = context.WithTimeout(ctx, d)
		}
		defer cancel()
		if sig == syscall.SIGINT {
			err = e.Stop(ctx)
		} else {
			_ = sockets.Close() // the next process owns the paths now
			err = e.Shutdown(ctx)
		}
		<-errc
		return err // the pid file stays, as haproxy leaves it: a new process may own it
	}
}

// handoverPath returns the socket to fetch the listening sockets from: -x,
// or with -sf alone the first stats socket exposing them in cfg.
func handoverPath(cfg *config.Config, o runOptions) string {
	if o.handover != "" {
		return o.handover
	}
	if len(o.oldPIDs) == 0 {
		return ""
	}
	for _, s := range cfg.Global.StatsSockets {
		if s.ExposeFD && s.Network == config.NetUnix {
			return s.Path
		}
	}
	return ""
}
