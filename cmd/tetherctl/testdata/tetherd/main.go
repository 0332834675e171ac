// Command tetherd runs one tether engine with the runtime API on its stats
// sockets, for tetherctl's tests (tetherctl itself may only import the
// runtime package):
//
//	tetherd CONFIG
//
// It prints "ready" once it serves, and stops when its standard input
// closes or on SIGTERM.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"tether/engine"
	"tether/engine/config"
	"tether/runtime"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tetherd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: tetherd CONFIG")
	}
	cfg, err := config.Load(args[0])
	if err != nil {
		return err
	}
	e, err := engine.New(cfg)
	if err != nil {
		return err
	}
	if err := e.Listen(nil); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- e.Serve() }()
	select {
	case <-e.Ready():
	case err := <-errc:
		return err
	}
	sockets, err := runtime.ListenAll(cfg, e)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop <- syscall.SIGTERM
	}()
	select {
	case <-stop:
	case err := <-errc:
		return err
	}
	sockets.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return e.Stop(ctx)
}
