package accesslog

import (
	"bytes"
	"errors"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tether/engine/config"
)

// lines collects whole lines written by a Logger's writer.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, string(p))
	return len(p), nil
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// listenUDP opens a syslog receiver on a free local port.
func listenUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestLoggerSample: `log ... sample` sends, of every Size lines, those
// whose position is in the ranges, as HAProxy 2.6 sent lines 2 and 5 of
// six to `sample 2:3`.
func TestLoggerSample(t *testing.T) {
	for _, tt := range []struct {
		sample config.LogSample
		want   string // the lines sent, of 1 to 9
	}{
		{config.LogSample{Ranges: []config.LogRange{{Low: 2, High: 2}}, Size: 3}, "258"},
		{config.LogSample{Ranges: []config.LogRange{{Low: 1, High: 2}, {Low: 4, High: 4}}, Size: 4}, "1245689"},
		{config.LogSample{Ranges: []config.LogRange{{Low: 1, High: 1}}, Size: 1}, "123456789"},
	} {
		var out lines
		lg, err := New([]config.LogTarget{{Address: "stdout", Format: "raw", Facility: "local0", Sample: &tt.sample}}, Options{Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 9; i++ {
			lg.Log([]byte{byte('0' + i)})
		}
		lg.Close()
		if got := strings.ReplaceAll(strings.Join(out.all(), ""), "\n", ""); got != tt.want {
			t.Errorf("%+v: sent %q, want %q", tt.sample, got, tt.want)
		}
	}
}

// TestLoggerLen: `log ... len` cuts the lines of its target at its
// length (one less on a stream), and a Logger whose LineLen is above
// the default renders longer lines, with the request line cut at
// maxRequestLine bytes.
func TestLoggerLen(t *testing.T) {
	var out, short lines
	lg, err := New([]config.LogTarget{
		{Address: "stdout", Format: "raw", Facility: "local0", Len: 3000},
		{Address: "stderr", Format: "raw", Facility: "local0", Len: 100},
	}, Options{Stdout: &out, Stderr: &short, LineLen: 3000})
	if err != nil {
		t.Fatal(err)
	}
	r := baseRecord()
	r.URI = []byte("/" + strings.Repeat("a", 1100) + `"`)
	lg.LogHTTP(&r)
	lg.Close()
	line := string(AppendHTTPLog(nil, &r)) // cut at MaxLine
	got, cut := out.all(), short.all()
	if len(got) != 1 || len(cut) != 1 {
		t.Fatalf("lines %q %q", got, cut)
	}
	// The line: all before %r, then the quote, then the request line cut
	// at 1023 bytes, before the escaped quote, and the closing quote.
	prefix := line[:strings.IndexByte(line, '"')+1]
	want := prefix + "GET /" + strings.Repeat("a", maxRequestLine-5) + "\"\n"
	if got[0] != want {
		t.Errorf("long line of %d bytes, want %d:\n%q", len(got[0]), len(want), got[0])
	}
	if cut[0] != line[:99]+"\n" {
		t.Errorf("short line %q, want %q", cut[0], line[:99]+"\n")
	}
}

// readPacket reads one datagram within a second.
func readPacket(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	buf := make([]byte, 70000)
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestLoggerUDP(t *testing.T) {
	rx := listenUDP(t)
	lg, err := New([]config.LogTarget{{Address: rx.LocalAddr().String(), Facility: "local0"}}, Options{PID: 321})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	r := baseRecord()
	if !lg.LogHTTP(&r) {
		t.Fatal("line not queued")
	}
	got := readPacket(t, rx)
	re := regexp.MustCompile(`^<134>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] tether\[321\]: `)
	if !re.MatchString(got) {
		t.Fatalf("header of %q", got)
	}
	if want := string(AppendHTTPLog(nil, &r)) + "\n"; !strings.HasSuffix(got, want) || len(got) != len(re.FindString(got))+len(want) {
		t.Fatalf("got %q, want the header then %q", got, want)
	}
}

func TestLoggerCuts(t *testing.T) {
	rx := listenUDP(t)
	var out lines
	lg, err := New([]config.LogTarget{
		{Address: rx.LocalAddr().String(), Facility: "local0"},
		{Address: "stdout", Format: "raw", Facility: "daemon"},
		{Address: "stderr", Format: "short", Facility: "daemon"},
	}, Options{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	long := bytes.Repeat([]byte("x"), 3000)
	if !lg.Log(long) {
		t.Fatal("line not queued")
	}
	pkt := readPacket(t, rx)
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	// A datagram holds 1024 bytes then the newline; a stream line 1023.
	if len(pkt) != maxDatagram+1 || !strings.HasSuffix(pkt, "xx\n") {
		t.Errorf("datagram of %d bytes ends %q", len(pkt), pkt[len(pkt)-3:])
	}
	got := out.all()
	if len(got) != 2 {
		t.Fatalf("%d lines on stdout and stderr", len(got))
	}
	for _, l := range got {
		if len(l) != maxStream+1 || !strings.HasSuffix(l, "xx\n") {
			t.Errorf("line of %d bytes: %q...", len(l), l[:10])
		}
	}
	if !strings.HasPrefix(got[1], "<6>x") && !strings.HasPrefix(got[0], "<6>x") {
		t.Errorf("no short line in %q, %q", got[0][:5], got[1][:5])
	}
}

func TestLogHTTPLongNames(t *testing.T) {
	var out lines
	lg, err := New([]config.LogTarget{{Address: "stdout", Format: "raw", Facility: "local0"}}, Options{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	r := baseRecord()
	r.Backend = strings.Repeat("b", 3000)
	if !lg.LogHTTP(&r) {
		t.Fatal("line not queued")
	}
	lg.Close()
	if got, want := out.all(), string(AppendHTTPLog(nil, &r))+"\n"; len(got) != 1 || got[0] != want || len(want) != MaxLine+1 {
		t.Fatalf("wrote %d lines, want one of %d bytes", len(got), len(want))
	}
}

func TestLoggerDontLogNull(t *testing.T) {
	for _, dontLogNull := range []bool{false, true} {
		var out lines
		lg, err := New([]config.LogTarget{{Address: "stdout", Format: "raw", Facility: "local0"}}, Options{Stdout: &out, DontLogNull: dontLogNull})
		if err != nil {
			t.Fatal(err)
		}
		empty := baseRecord()
		empty.Method, empty.RequestBytes = nil, 0
		full := baseRecord()
		full.RequestBytes = 40
		queuedEmpty := lg.LogHTTP(&empty)
		queuedFull := lg.LogHTTP(&full)
		lg.Close()
		want := []string{string(AppendHTTPLog(nil, &full)) + "\n"}
		if !dontLogNull {
			want = append([]string{string(AppendHTTPLog(nil, &empty)) + "\n"}, want...)
		}
		if got := out.all(); queuedEmpty == dontLogNull || !queuedFull || strings.Join(got, "") != strings.Join(want, "") {
			t.Errorf("dontlognull %v: queued %v %v, wrote %q", dontLogNull, queuedEmpty, queuedFull, got)
		}
		if lg.Dropped() != 0 {
			t.Errorf("dontlognull %v: %d dropped", dontLogNull, lg.Dropped())
		}
	}
}

// TestLoggerErrors: `option dontlog-normal` keeps only the failed
// exchanges' lines, and `option log-separate-errors` sends them at level
// "err", which a target whose maximum level is "notice" lets through, as
// HAProxy 2.6 did (<131> and <139> for local0 and local1).
func TestLoggerErrors(t *testing.T) {
	ok := baseRecord()
	ok.Status, ok.Term = 200, TermNone
	failed := []Record{ok, ok, ok, ok, ok}
	failed[0].Status = 502
	failed[1].Term = TermClientAbort
	failed[2].Retries = 1
	failed[3].Redisp, failed[3].Retries = true, 1
	failed[4].Term, failed[4].Status = TermLocal, 200
	for _, tt := range []struct {
		o    Options
		want []string // the framed lines' headers, one per record: ok, then failed
	}{
		{Options{}, []string{"<134>", "<134>", "<134>", "<134>", "<134>", "<134>"}},
		{Options{DontLogNormal: true}, []string{"", "<134>", "<134>", "<134>", "<134>", ""}},
		{Options{SeparateErrors: true}, []string{"<134>", "<131>", "<131>", "<131>", "<131>", "<134>"}},
		{Options{DontLogNormal: true, SeparateErrors: true}, []string{"", "<131>", "<131>", "<131>", "<131>", ""}},
	} {
		var out, notice lines
		tt.o.Stdout, tt.o.Stderr = &out, &notice
		lg, err := New([]config.LogTarget{{Address: "stdout", Format: "priority", Facility: "local0"},
			{Address: "stderr", Format: "priority", Facility: "local1", Level: "notice"}}, tt.o)
		if err != nil {
			t.Fatal(err)
		}
		var want, wantNotice []string
		for i, r := range append([]Record{ok}, failed...) {
			lg.LogHTTP(&r)
			if h := tt.want[i]; h != "" {
				want = append(want, h+string(AppendHTTPLog(nil, &r))+"\n")
				if h == "<131>" {
					wantNotice = append(wantNotice, "<139>"+string(AppendHTTPLog(nil, &r))+"\n")
				}
			}
		}
		lg.Close()
		if got := out.all(); !slices.Equal(got, want) {
			t.Errorf("%+v: wrote\n%q\nwant\n%q", tt.o, got, want)
		}
		if got := notice.all(); !slices.Equal(got, wantNotice) {
			t.Errorf("%+v: notice target got\n%q\nwant\n%q", tt.o, got, wantNotice)
		}
	}
}

// gate is a writer that blocks each Write until released, and says when
// a Write has started.
type gate struct {
	started chan struct{}
	release chan struct{}
	lines
}

func (g *gate) Write(p []byte) (int, error) {
	g.started <- struct{}{}
	<-g.release
	return g.lines.Write(p)
}

func TestLoggerDropsWhenFull(t *testing.T) {
	g := &gate{started: make(chan struct{}, 100), release: make(chan struct{})}
	lg, err := New([]config.LogTarget{{Address: "stdout", Format: "raw", Facility: "local0"}}, Options{Stdout: g, QueueLen: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !lg.Log([]byte("line 0")) {
		t.Fatal("first line refused")
	}
	<-g.started // the writer holds line 0's slot until its Write returns
	queued := 1
	for i := 1; i <= 10; i++ {
		if lg.Log([]byte("line " + string(rune('0'+i%10)))) {
			queued++
		}
	}
	// QueueLen 3 rounds up to 4 slots, one of them held by line 0.
	if queued != 4 || lg.Dropped() != 7 {
		t.Fatalf("queued %d, dropped %d; want 4 and 7", queued, lg.Dropped())
	}
	close(g.release)
	lg.Close()
	if got := g.all(); strings.Join(got, "") != "line 0\nline 1\nline 2\nline 3\n" {
		t.Fatalf("wrote %q", got)
	}
	if lg.Log([]byte("late")) || lg.Dropped() != 8 {
		t.Fatalf("a line after Close was queued or not counted: dropped %d", lg.Dropped())
	}
	if err := lg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestLoggerConcurrent(t *testing.T) {
	var out lines
	lg, err := New([]config.LogTarget{{Address: "stdout", Format: "raw", Facility: "local0"}}, Options{Stdout: &out, QueueLen: 64})
	if err != nil {
		t.Fatal(err)
	}
	const producers, each = 4, 2000
	var wg sync.WaitGroup
	var mu sync.Mutex
	queued := map[string]bool{}
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := baseRecord()
			buf := make([]byte, 0, 16)
			for i := range each {
				r.Retries, r.SrvConn = p, i
				if lg.LogHTTP(&r) {
					buf = AppendHTTPLog(buf[:0], &r)
					mu.Lock()
					queued[string(buf)+"\n"] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	lg.Close()
	got := out.all()
	if len(got) != len(queued) || uint64(len(got))+lg.Dropped() != producers*each {
		t.Fatalf("wrote %d, queued %d, dropped %d of %d", len(got), len(queued), lg.Dropped(), producers*each)
	}
	for _, l := range got {
		if !queued[l] {
			t.Fatalf("wrote %q, never queued", l)
		}
	}
}

func TestLoggerUnixgram(t *testing.T) {
	path := t.TempDir() + "/log.sock"
	rx, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	lg, err := New([]config.LogTarget{{Address: path, Format: "priority", Facility: "user"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	lg.Log([]byte("hello"))
	buf := make([]byte, 2048)
	_ = rx.SetReadDeadline(time.Now().Add(time.Second))
	n, err := rx.Read(buf)
	if err != nil || string(buf[:n]) != "<14>hello\n" {
		t.Fatalf("got %q %v", buf[:n], err)
	}
}

func TestUnixTargetReconnects(t *testing.T) {
	path := t.TempDir() + "/log.sock"
	tg, err := openTarget(config.LogTarget{Address: "unix@" + path, Format: "raw", Facility: "user"}, &Options{})
	if err != nil {
		t.Fatalf("a socket nobody listens on refused: %v", err)
	}
	now := time.Now()
	listen := func() *net.UnixConn {
		rx, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		return rx
	}
	write := func(at time.Duration) error {
		_, err := tg.write(nil, []byte("x"), levelInfo, now.Add(at))
		return err
	}
	if err := write(0); !errors.Is(err, errNotConnected) {
		t.Fatalf("write without listener: %v", err)
	}
	rx := listen()
	if err := write(redialDelay / 2); !errors.Is(err, errNotConnected) {
		t.Fatalf("reconnected before the delay: %v", err)
	}
	if err := write(redialDelay); err != nil {
		t.Fatalf("not reconnected after the delay: %v", err)
	}
	rx.Close()
	os.Remove(path)
	if err := write(redialDelay); err == nil {
		t.Fatal("write to a closed socket succeeded")
	}
	rx = listen()
	defer rx.Close()
	if err := write(2 * redialDelay); err != nil {
		t.Fatalf("not reconnected after the daemon came back: %v", err)
	}
	buf := make([]byte, 16)
	_ = rx.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := rx.Read(buf); err != nil || string(buf[:n]) != "x\n" {
		t.Fatalf("got %q %v", buf[:n], err)
	}
	tg.close()
}

func TestLoggerNoTargets(t *testing.T) {
	lg, err := New([]config.LogTarget{{Address: "stdout", Facility: "local0", Level: "err"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := baseRecord()
	if lg.LogHTTP(&r) || lg.Log([]byte("x")) || lg.Dropped() != 0 {
		t.Fatal("a Logger without targets took a line or counted a drop")
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNewErrors(t *testing.T) {
	rx := listenUDP(t)
	for _, lt := range []config.LogTarget{
		{Address: "ring@buf", Facility: "local0"},
		{Address: "127.0.0.1:514", Facility: "local0", Format: "json"},
	} {
		_, err := New([]config.LogTarget{{Address: rx.LocalAddr().String(), Facility: "local0"}, lt}, Options{})
		if !errors.Is(err, ErrAddress) && !errors.Is(err, ErrFormat) {
			t.Errorf("%+v: %v", lt, err)
		}
	}
}

func TestTargets(t *testing.T) {
	g := []config.LogTarget{{Address: "stdout", Facility: "local0"}, {Address: "127.0.0.1", Facility: "local1"}}
	own := config.LogTarget{Address: "stderr", Facility: "daemon"}
	got := Targets([]config.LogTarget{own, {Global: true}}, g)
	if len(got) != 3 || got[0] != own || got[1] != g[0] || got[2] != g[1] {
		t.Fatalf("%+v", got)
	}
	if Targets(nil, g) != nil {
		t.Fatal("a proxy without log lines got targets")
	}
}

// counter is a writer that counts its writes.
type counter struct{ n atomic.Uint64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n.Add(1)
	return len(p), nil
}

// TestLogAtLevels: an events Logger keeps a target whose maximum level
// excludes access logs, and each target sends a LogAt line only when its
// level is severe enough, capped by the target's minimum level.
func TestLogAtLevels(t *testing.T) {
	var notice, all bytes.Buffer
	lg, err := New([]config.LogTarget{
		{Address: "stdout", Facility: "local0", Level: "notice", Format: "short"},
		{Address: "stderr", Facility: "local0", Level: "debug", MinLevel: "alert", Format: "short"},
	}, Options{Events: true, Stdout: &notice, Stderr: &all})
	if err != nil {
		t.Fatal(err)
	}
	lg.LogAt(LevelAlert, []byte("down"))
	lg.LogAt(LevelInfo, []byte("chatter"))
	lg.LogAt(LevelEmerg, []byte("none left"))
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := notice.String(), "<1>down\n<0>none left\n"; got != want {
		t.Errorf("notice target got %q, want %q", got, want)
	}
	if got, want := all.String(), "<1>down\n<6>chatter\n<1>none left\n"; got != want {
		t.Errorf("debug target with minimum alert got %q, want %q", got, want)
	}
}
