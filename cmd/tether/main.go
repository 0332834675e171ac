// Command tether is an HTTP/1.1 reverse proxy and load balancer that reads
// HAProxy configuration. Its flags follow haproxy's where they overlap.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"tether/engine"
	"tether/engine/config"
)

// version is set at link time with -ldflags "-X main.version=...".
var version = "dev"

// pids collects the process ids after -sf.
type pids []int

func (p *pids) String() string { return fmt.Sprint(*p) }
func (p *pids) Set(v string) error {
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return fmt.Errorf("bad pid %q", f)
		}
		*p = append(*p, n)
	}
	return nil
}

// files collects repeated -f flags.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	var cfgFiles files
	flag.Var(&cfgFiles, "f", "configuration `file or directory` (repeatable; a directory loads its *.cfg in order)")
	check := flag.Bool("c", false, "check the configuration and exit (0 valid, 1 errors, 2 no listener)")
	showVersion := flag.Bool("v", false, "print the version and exit")
	var opts runOptions
	var oldPIDs pids
	flag.BoolVar(&opts.debug, "d", false, "debug mode: stay in the foreground (tether always does)")
	flag.Bool("db", false, "stay in the foreground (tether always does)")
	flag.StringVar(&opts.pidFile, "p", "", "write the process id to `pidfile`")
	flag.Var(&oldPIDs, "sf", "`pid`s of a previous process to stop gracefully once listening (repeatable)")
	flag.StringVar(&opts.handover, "x", "", "unix `socket` of the previous process to take the listening sockets from")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: tether [-v] [-c] -f FILE|DIR [-f ...] [-- FILE ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	for _, a := range flag.Args() { // haproxy's "-- cfgfile*", without pids after -sf
		if _, err := strconv.Atoi(a); err != nil {
			cfgFiles = append(cfgFiles, a)
		}
	}
	if *showVersion {
		fmt.Printf("tether version %s\n", version)
		return
	}
	if len(cfgFiles) == 0 {
		fmt.Fprintln(os.Stderr, "tether: no configuration file given (-f FILE|DIR)")
		os.Exit(1)
	}
	cfg, err := config.Load(cfgFiles...)
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		for i := range cerr.Diags {
			fmt.Fprintln(os.Stderr, cerr.Diags[i].String())
		}
		fmt.Fprintln(os.Stderr, "[ALERT] Error(s) found in configuration file : "+cfgFiles.String())
		fmt.Fprintln(os.Stderr, "[ALERT] Fatal errors found in configuration.")
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "[ALERT] "+err.Error())
		os.Exit(1)
	}
	warnings := append(cfg.Warnings, engine.Unenforced(cfg)...)
	if !cfg.Global.Quiet {
		for i := range warnings {
			fmt.Fprintln(os.Stderr, warnings[i].String())
		}
	}
	switch {
	case len(warnings) > 0 && cfg.Global.ZeroWarning:
		if !cfg.Global.Quiet { // quiet silences this alert too, as in haproxy
			fmt.Fprintln(os.Stderr, "[ALERT] Some warnings were found and 'zero-warning' is set. Aborting.")
		}
		os.Exit(1)
	case len(warnings) > 0 && !cfg.Global.Quiet:
		fmt.Fprintln(os.Stderr, "Warnings were found.")
	}
	if !cfg.HasListener() {
		fmt.Fprintln(os.Stderr, "Configuration file has no error but will not start (no listener) => exit(2).")
		os.Exit(2)
	}
	if *check {
		fmt.Println("Configuration file is valid")
		return
	}
	opts.oldPIDs = oldPIDs
	opts.oldPIDs = append(opts.oldPIDs, pidArgs()...)
	if err := run(cfg, opts); err != nil {
		fmt.Fprintln(os.Stderr, "[ALERT] "+err.Error())
		os.Exit(1)
	}
}

// pidArgs returns the process ids haproxy accepts as separate arguments
// after -sf ("-sf 12 13"): the flag package keeps only the first one, so
// the others arrive as arguments and are taken back from there.
func pidArgs() []int {
	var out []int
	args := os.Args[1:]
	for i, a := range args {
		if a != "-sf" && a != "--sf" {
			continue
		}
		for _, w := range args[i+2:] {
			n, err := strconv.Atoi(w)
			if err != nil {
				break
			}
			out = append(out, n)
		}
	}
	return out
}
