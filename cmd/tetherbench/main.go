// Command tetherbench runs tether's load-test tools:
//
//	tetherbench origins -listen 127.0.0.1:9001,127.0.0.1:9002   serve demo origins until interrupted
//	tetherbench load -target 127.0.0.1:8080 -users 50 -d 10s     run a keep-alive load and report
//	tetherbench suite -tether bin/tether -haproxy haproxy         tether and haproxy (-nginx, -caddy too) side by side
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tether/bench"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "origins":
		err = origins(ctx, os.Args[2:])
	case "load":
		err = load(ctx, os.Args[2:])
	case "suite":
		err = suite(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tetherbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tetherbench origins|load|suite [flags] (-h for each)")
	os.Exit(2)
}

// origins serves one origin per address, named s1, s2, ... unless -names
// says otherwise, until ctx is done.
func origins(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("origins", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003", "comma-separated addresses")
	names := fs.String("names", "", "comma-separated server names (default s1, s2, ...)")
	fs.Parse(args)
	addrs := strings.Split(*listen, ",")
	var named []string
	if *names != "" {
		named = strings.Split(*names, ",")
	}
	for i, a := range addrs {
		o := &bench.Origin{Name: fmt.Sprintf("s%d", i+1)}
		if i < len(named) {
			o.Name = named[i]
		}
		if err := o.Start(a); err != nil {
			return err
		}
		defer o.Close()
		fmt.Printf("origin %s on %s\n", o.Name, o.Addr())
	}
	<-ctx.Done()
	return nil
}

func load(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	var l bench.Load
	fs.StringVar(&l.Target, "target", "127.0.0.1:8080", "host:port to load")
	fs.StringVar(&l.Path, "path", "/", "request target")
	fs.IntVar(&l.Users, "users", 50, "virtual users, one keep-alive connection each")
	fs.DurationVar(&l.Duration, "d", 10*time.Second, "duration")
	fs.IntVar(&l.Requests, "n", 0, "total requests (overrides -d)")
	fs.StringVar(&l.Cookie, "cookie", "", "persistence cookie each user keeps and checks")
	fs.DurationVar(&l.Probe, "probe", 0, "also time one request on a new connection every `interval`")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Parse(args)
	res, err := bench.Run(ctx, l)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Printf("%d responses in %v (%.0f/s), %d errors, %d non-2xx, %d unpinned\n",
		res.Requests, res.Elapsed.Round(time.Millisecond), res.Rate(), res.Errors, res.Non2xx, res.Unpinned)
	fmt.Printf("latency us: p50 %d  p99 %d  p99.9 %d  max %d\n", res.P50, res.P99, res.P999, res.Max)
	if p := res.Probe; l.Probe > 0 {
		fmt.Printf("new connections: %d, %d errors; latency us: p50 %d  p90 %d  p99 %d  max %d\n",
			p.Requests, p.Errors, p.P50, p.P90, p.P99, p.Max)
	}
	for _, s := range res.SortedServers() {
		fmt.Printf("  %-10s %d\n", s, res.Servers[s])
	}
	if res.Errors > 0 || res.Unpinned > 0 {
		return fmt.Errorf("%d errors, %d unpinned responses", res.Errors, res.Unpinned)
	}
	return nil
}

// suite runs tether, haproxy and, when asked, nginx and caddy side by side
// on the same origins and load (the same configuration where the proxy reads
// HAProxy's), and prints a Markdown table.
func suite(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("suite", flag.ExitOnError)
	tether := fs.String("tether", "bin/tether", "tether binary (empty to skip)")
	haproxy := fs.String("haproxy", "haproxy", "haproxy binary (empty to skip)")
	nginx := fs.String("nginx", "", "nginx binary (empty to skip)")
	caddy := fs.String("caddy", "", "caddy binary (empty to skip)")
	s := &bench.Suite{Log: os.Stderr, Cookie: "SRV"}
	fs.IntVar(&s.Requests, "n", 200000, "measured requests per proxy")
	fs.IntVar(&s.Users, "users", 50, "virtual users")
	fs.IntVar(&s.Threads, "threads", 1, "threads (nbthread) per proxy")
	fs.StringVar(&s.Instructions, "instructions", "", `count instructions with "perf", "callgrind" or "icount" (inside bench/icount/run.sh's guest)`)
	fs.BoolVar(&s.Syscalls, "syscalls", false, "also count each proxy's system calls and context switches (perf stat) over a second pass")
	fs.Parse(args)
	var proxies []bench.Proxy
	if *tether != "" {
		proxies = append(proxies, bench.TetherProxy(*tether))
	}
	if *haproxy != "" {
		proxies = append(proxies, bench.HAProxyProxy(*haproxy))
	}
	if *nginx != "" {
		proxies = append(proxies, bench.NginxProxy(*nginx))
	}
	if *caddy != "" {
		proxies = append(proxies, bench.CaddyProxy(*caddy))
	}
	ms, err := s.Run(ctx, proxies)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("%s, %d CPUs, %s; %d users, %d requests, nbthread %d, cookie SRV insert indirect nocache dynamic\n\n",
		host, goruntime.NumCPU(), time.Now().UTC().Format("2006-01-02 15:04 MST"), s.Users, s.Requests, s.Threads)
	fmt.Println("| proxy | req/s | CPU µs/req | user share | instructions/req | p50 µs | p99 µs | peak RSS KiB | errors | unpinned |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, m := range ms {
		instr := "-"
		if n := m.InstructionsPerRequest(); n >= 0 {
			instr = strconv.FormatInt(n, 10)
		}
		unpinned := "no cookie"
		if m.Cookie != "" {
			unpinned = strconv.FormatUint(m.Unpinned, 10)
		}
		fmt.Printf("| %s | %.0f | %.1f | %.0f%% | %s | %d | %d | %d | %d | %s |\n", m.Proxy,
			float64(m.Requests)/m.Elapsed.Seconds(), float64(m.CPUPerRequest().Nanoseconds())/1000,
			100*m.UserShare, instr, m.P50, m.P99, m.MaxRSS, m.Errors+m.Non2xx, unpinned)
	}
	fmt.Print("\nloopback, whole machine, per request:")
	for _, m := range ms {
		n := float64(max(m.Requests, 1))
		fmt.Printf(" %s %.2f segments, %.0f bytes;", m.Proxy, float64(m.Segments)/n, float64(m.Octets)/n)
	}
	fmt.Println()
	if s.Syscalls {
		printSyscalls(ms)
	}
	return nil
}

// printSyscalls prints the syscall pass as a Markdown table: per request,
// each proxy's context switches and system calls, by name where any proxy
// made one.
func printSyscalls(ms []bench.Measurement) {
	fmt.Print("\nper request, over a second pass of the same load with perf stat attached:\n\n| per request |")
	for _, m := range ms {
		fmt.Printf(" %s |", m.Proxy)
	}
	fmt.Print("\n|---|")
	for range ms {
		fmt.Print("---|")
	}
	fmt.Println()
	row := func(name string, value func(m *bench.Measurement) uint64) {
		any := false
		for i := range ms {
			any = any || value(&ms[i]) > 0
		}
		if !any {
			return
		}
		fmt.Printf("| %s |", name)
		for i := range ms {
			fmt.Printf(" %.3f |", float64(value(&ms[i]))/float64(max(ms[i].TracedRequests, 1)))
		}
		fmt.Println()
	}
	row("context switches", func(m *bench.Measurement) uint64 { return m.CtxSwitches })
	row("system calls", func(m *bench.Measurement) uint64 {
		var n uint64
		for _, c := range m.Syscalls {
			n += c.Calls
		}
		return n
	})
	for i, name := range append(bench.TracedSyscalls, "other") {
		row(name, func(m *bench.Measurement) uint64 { return m.Syscalls[i].Calls })
	}
}
