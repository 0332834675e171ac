// Command tether is an HTTP/1.1 reverse proxy and load balancer that reads
// HAProxy configuration. Its flags follow haproxy's where they overlap.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"tether/engine/config"
)

// version is set at link time with -ldflags "-X main.version=...".
var version = "dev"

// files collects repeated -f flags.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	var cfgFiles files
	flag.Var(&cfgFiles, "f", "configuration `file or directory` (repeatable; a directory loads its *.cfg in order)")
	check := flag.Bool("c", false, "check the configuration and exit (0 valid, 1 errors, 2 no listener)")
	showVersion := flag.Bool("v", false, "print the version and exit")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: tether [-v] [-c] -f FILE|DIR [-f ...] [-- FILE ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	cfgFiles = append(cfgFiles, flag.Args()...) // haproxy's "-- cfgfile*"
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
	for i := range cfg.Warnings {
		fmt.Fprintln(os.Stderr, cfg.Warnings[i].String())
	}
	if len(cfg.Warnings) > 0 {
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
	fmt.Fprintln(os.Stderr, "tether: running the proxy is not supported yet; use -c to check a configuration")
	os.Exit(1)
}
