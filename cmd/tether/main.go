// Command tether is an HTTP/1.1 reverse proxy and load balancer that reads
// HAProxy configuration. Its flags follow haproxy's where they overlap.
package main

import (
	"flag"
	"fmt"
	"os"
)

// version is set at link time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	showVersion := flag.Bool("v", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Printf("tether version %s\n", version)
		return
	}
	fmt.Fprintln(os.Stderr, "tether: no configuration given (-f); the engine is not built yet")
	os.Exit(1)
}
