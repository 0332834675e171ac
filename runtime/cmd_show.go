package runtime

import (
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
)

// showCommands report state; any level may run them but `show env`, which
// needs operator.
var showCommands = []command{
	{words: []string{"show", "version"}, level: LevelUser,
		usage: "show version", help: "print the version of this process",
		run: runShowVersion},
	{words: []string{"show", "env"}, level: LevelOperator,
		usage: "show env [var]", help: "print the process's environment, or one variable of it",
		run: runShowEnv},
	{words: []string{"show", "info"}, level: LevelUser,
		usage: "show info", help: "print process-wide figures (version, uptime, connections)",
		run: runShowInfo},
	{words: []string{"show", "stat"}, level: LevelUser,
		usage: "show stat [<px> <type> <sid>] [up|no-maint]", help: "print proxy and server counters as CSV",
		run: runShowStat},
	{words: []string{"show", "servers", "state"}, level: LevelUser,
		usage: "show servers state [<bk>]", help: "print server states in the server-state file format",
		run: runShowServersState},
	{words: []string{"show", "backend"}, level: LevelUser,
		usage: "show backend", help: "list the backends",
		run: runShowBackend},
}

func runShowVersion(s *session, _ []string, _ []byte) {
	s.print(s.ctl.Info().Version)
	s.print("\n")
}

// runShowEnv prints the environment as NAME=value lines in the process's
// order, or the one line of the variable named by its argument.
func runShowEnv(s *session, args []string, _ []byte) {
	name := arg(args, 2)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); name == "" || k == name {
			s.print(kv)
			s.print("\n")
			if name != "" {
				return
			}
		}
	}
	if name != "" {
		s.print(msgVarNotFound)
	}
}

func runShowInfo(s *session, _ []string, _ []byte) {
	s.out = appendInfo(s.out, s.ctl.Info())
}

// appendInfo renders `show info`: HAProxy's keys in HAProxy's order, 0 for
// figures of features tether does not have.
func appendInfo(b []byte, in Info) []byte {
	line := func(key, val string) {
		b = append(b, key...)
		b = append(b, ": "...)
		b = append(b, val...)
		b = append(b, '\n')
	}
	n := func(key string, v int64) { line(key, strconv.FormatInt(v, 10)) }
	up := int64(in.Uptime.Seconds())
	line("Name", in.Name)
	line("Version", in.Version)
	line("Release_date", in.ReleaseDate)
	n("Nbthread", int64(in.Nbthread))
	n("Nbproc", 1)
	n("Process_num", 1)
	n("Pid", int64(in.Pid))
	line("Uptime", strconv.FormatInt(up/86400, 10)+"d "+strconv.FormatInt(up%86400/3600, 10)+"h"+
		pad2(up%3600/60)+"m"+pad2(up%60)+"s")
	n("Uptime_sec", up)
	for _, k := range []string{"Memmax_MB", "PoolAlloc_MB", "PoolUsed_MB", "PoolFailed"} {
		n(k, 0)
	}
	n("Ulimit-n", int64(in.UlimitN))
	n("Maxsock", int64(in.Maxsock))
	n("Maxconn", int64(in.Maxconn))
	n("Hard_maxconn", int64(in.HardMaxconn))
	n("CurrConns", int64(in.CurrConns))
	n("CumConns", in.CumConns)
	n("CumReq", in.CumReq)
	for _, k := range []string{"MaxSslConns", "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree"} {
		n(k, 0)
	}
	n("ConnRate", int64(in.ConnRate))
	n("ConnRateLimit", 0)
	n("MaxConnRate", int64(in.MaxConnRate))
	n("SessRate", int64(in.SessRate))
	n("SessRateLimit", 0)
	n("MaxSessRate", int64(in.MaxSessRate))
	for _, k := range []string{"SslRate", "SslRateLimit", "MaxSslRate", "SslFrontendKeyRate",
		"SslFrontendMaxKeyRate", "SslFrontendSessionReuse_pct", "SslBackendKeyRate",
		"SslBackendMaxKeyRate", "SslCacheLookups", "SslCacheMisses", "CompressBpsIn",
		"CompressBpsOut", "CompressBpsRateLim"} {
		n(k, 0)
	}
	n("Tasks", int64(in.Tasks))
	n("Run_queue", int64(in.RunQueue))
	n("Idle_pct", int64(in.IdlePct))
	line("node", in.Node)
	if in.Description != "" {
		line("description", in.Description)
	}
	stopping := int64(0)
	if in.Stopping {
		stopping = 1
	}
	n("Stopping", stopping)
	n("Jobs", int64(in.Jobs))
	n("Unstoppable Jobs", 0)
	n("Listeners", int64(in.Listeners))
	for _, k := range []string{"ActivePeers", "ConnectedPeers", "DroppedLogs", "BusyPolling"} {
		n(k, 0)
	}
	n("FailedResolutions", in.FailedResolutions)
	n("TotalBytesOut", in.BytesOut)
	n("TotalSplicdedBytesOut", 0) // sic
	n("BytesOutRate", int64(in.BytesOutRate))
	n("DebugCommandsIssued", 0)
	n("CumRecvLogs", 0)
	line("Build info", in.Version)
	for _, k := range []string{"Memmax_bytes", "PoolAlloc_bytes", "PoolUsed_bytes"} {
		n(k, 0)
	}
	n("Start_time_sec", in.Start.Unix())
	n("Tainted", 0)
	return b
}

func pad2(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

// runShowStat serves `show stat [<px> <type> <sid>] [no-maint] [up]`. With
// the three arguments, only the rows of proxy <px> (a name, "#id" or an id)
// whose kind is in the bit mask <type> (1 frontend, 2 backend, 4 server, -1
// all) are printed, and of servers only the one with id <sid> unless it is
// -1. no-maint leaves out servers in maintenance; up also those that are
// down. The typed, json and desc formats are not supported: like any other
// word HAProxy does not know there, they are ignored. On a socket below
// operator level the addr and cookie columns are empty, as in HAProxy.
func runShowStat(s *session, args []string, _ []byte) {
	rows := s.ctl.Stats()
	opts := args[2:]
	bound, iid, typ, sid := false, 0, -1, -1
	if len(opts) >= 3 && opts[0] != "" && opts[1] != "" && opts[2] != "" {
		bound = true
		iid = proxyID(rows, opts[0])
		if iid == 0 {
			s.print("No such proxy.\n")
			return
		}
		typ, sid = atoi(opts[1]), atoi(opts[2])
		opts = opts[3:]
	}
	hideMaint, hideDown := slices.Contains(opts, "no-maint"), slices.Contains(opts, "up")
	s.print(statHeader)
	legends := s.srv.spec.Level >= LevelOperator
	for i := range rows {
		r := rows[i]
		if bound && (r.ProxyID != iid || typ&(1<<r.Kind) == 0 ||
			(r.Kind == StatServer && sid != -1 && r.ServerID != sid)) {
			continue
		}
		if r.Kind == StatServer && ((hideMaint || hideDown) && r.Maint || hideDown && r.Down) {
			continue
		}
		if !legends {
			r.Addr, r.Cookie = "", ""
		}
		s.out = appendStatRow(s.out, &r)
	}
}

// proxyID returns the id of the proxy named by name ("#id" or a name), or
// the number name holds (0 when none), as HAProxy's `show stat` reads it.
func proxyID(rows []StatRow, name string) int {
	if id, ok := strings.CutPrefix(name, "#"); ok {
		return atoi(id)
	}
	for i := range rows {
		if rows[i].Proxy == name {
			return rows[i].ProxyID
		}
	}
	return atoi(name)
}

// serversStateHeader starts `show servers state` (format version 1).
const serversStateHeader = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"

func runShowServersState(s *session, args []string, _ []byte) {
	backends := s.ctl.Backends()
	if len(args) > 3 && args[3] != "" {
		b := findBackend(backends, args[3])
		if b == nil {
			s.print(msgCantFindBackend)
			return
		}
		backends = []BackendView{*b}
	}
	s.print(serversStateHeader)
	for i := range backends {
		for j := range backends[i].Servers {
			s.out = appendServerState(s.out, &backends[i], &backends[i].Servers[j])
		}
	}
}

// appendServerState renders one server line of `show servers state`, which
// `load-server-state-from-file` reads back.
func appendServerState(b []byte, be *BackendView, sv *ServerView) []byte {
	sp := func() { b = append(b, ' ') }
	i := func(v int64) { b = strconv.AppendInt(b, v, 10) }
	word := func(v string) {
		if v == "" {
			v = "-"
		}
		b = append(b, v...)
	}
	i(int64(be.ID))
	sp()
	b = append(b, be.Name...)
	sp()
	i(int64(sv.ID))
	sp()
	b = append(b, sv.Name...)
	sp()
	word(addrWord(sv.Addr))
	for _, v := range []int64{int64(sv.OpState), int64(sv.Admin), int64(sv.UWeight), int64(sv.IWeight),
		int64(sv.SinceChange.Seconds()), int64(sv.Check.Status), int64(sv.Check.Result),
		int64(sv.Check.Health), int64(sv.Check.State), int64(sv.Agent.State),
		boolInt(be.ForcedID), boolInt(sv.ForcedID)} {
		sp()
		i(v)
	}
	sp()
	word(sv.FQDN)
	sp()
	b = strconv.AppendUint(b, uint64(sv.Port), 10)
	sp()
	word(sv.SRVRecord)
	sp()
	i(int64(sv.UseSSL))
	sp()
	i(int64(sv.Check.Port))
	sp()
	word(addrWord(sv.Check.Addr))
	sp()
	word(addrWord(sv.Agent.Addr))
	sp()
	i(int64(sv.Agent.Port))
	return append(b, '\n')
}

// addrWord prints an address as inet_ntop does, "" for none.
func addrWord(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.WithZone("").String()
}

func boolInt(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

func runShowBackend(s *session, _ []string, _ []byte) {
	s.print("# name\n")
	for _, b := range s.ctl.Backends() {
		s.print(b.Name)
		s.print("\n")
	}
}
