package runtime

import (
	"net/netip"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tether/engine"
	"tether/engine/balance"
	"tether/engine/config"
)

// Backends describes every backend from the engine's copies and the
// configuration's static attributes.
func (c *engineControl) Backends() []BackendView {
	infos := c.e.Backends()
	out := make([]BackendView, len(infos))
	for i := range infos {
		bi := &infos[i]
		bv := BackendView{ID: bi.ID, Name: bi.Name, Servers: make([]ServerView, len(bi.Servers))}
		if p := c.proxy(bi.Name); p != nil {
			bv.DynamicLB = balance.Dynamic(p.Balance)
		}
		for j := range bi.Servers {
			bv.Servers[j] = c.serverView(bi.Name, &bi.Servers[j])
		}
		out[i] = bv
	}
	return out
}

// serverView describes one server of backend from the engine's copy.
func (c *engineControl) serverView(backend string, si *engine.ServerInfo) ServerView {
	sv := ServerView{
		ID:          si.ID,
		Name:        si.Name,
		OpState:     si.Op,
		Admin:       si.Admin,
		UWeight:     si.Weight,
		IWeight:     si.IWeight,
		SinceChange: si.Since,
		Check: CheckView{Status: int(si.CheckReport.Status), Result: int(si.CheckReport.Result),
			Health: si.Health, State: int(si.Check), Addr: si.CheckAddr, Port: si.CheckPort},
	}
	// A server waiting for resolution has no address but keeps its port.
	sv.Port = uint32(si.Addr.Port())
	if si.Addr.IsValid() {
		sv.Addr = si.Addr.Addr()
	}
	sv.Tracking = si.Track != ""
	sv.Agent = agentView(si)
	if cs := si.Config; cs != nil {
		sv.Check.Configured = cs.Check
		sv.FQDN = cs.Addr.Host
		if strings.HasPrefix(sv.FQDN, "_") { // an SRV name: the slot shows its record's target
			sv.SRVRecord, sv.FQDN = sv.FQDN, c.e.SRVTarget(backend, si.Name)
		}
		sv.ForcedID = cs.IDSet
	}
	return sv
}

// agentView describes a server's agent check as `show servers state`
// dumps it: the CHK_ST_* bits (configured, enabled, agent, running) and
// where it goes: the agent's own address and port, else the line's `addr`
// and `port`, agent check or not, as HAProxy keeps them.
func agentView(si *engine.ServerInfo) CheckView {
	ag := &si.Agent
	v := CheckView{Configured: ag.State&engine.CheckConfigured != 0, Status: int(ag.Report.Status),
		Result: int(ag.Report.Result), Health: ag.Health, State: int(ag.State)}
	v.Addr, v.Port = ag.Addr.Addr(), int(ag.Addr.Port())
	return v
}

// algoNames are the `balance` keywords, as `show stat` prints them.
var algoNames = map[config.Algo]string{
	config.RoundRobin: "roundrobin", config.StaticRR: "static-rr", config.LeastConn: "leastconn",
	config.First: "first", config.Source: "source", config.Random: "random", config.URI: "uri",
	config.URLParam: "url_param", config.Hdr: "hdr",
}

// Info reports the process-wide figures.
func (c *engineControl) Info() Info {
	ei := c.e.Info()
	in := Info{
		Name:        "tether",
		Version:     version(),
		Nbthread:    ei.Loops,
		Pid:         os.Getpid(),
		Start:       ei.Start,
		Uptime:      time.Since(ei.Start),
		Maxconn:     ei.MaxConn,
		HardMaxconn: ei.HardMax,
		CurrConns:   ei.Conns,
		CumConns:    ei.CumConns,
		CumReq:      ei.CumReqs,
		Tasks:       goruntime.NumGoroutine(),
		Stopping:    ei.Stopping,
		Listeners:   len(c.e.Listeners()),
	}
	if in.Nbthread == 0 {
		in.Nbthread = goruntime.NumCPU()
	}
	in.Jobs = in.Listeners + in.CurrConns
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		in.UlimitN, in.Maxsock = int(rl.Cur), int(rl.Cur)
	}
	in.Node, in.Description = c.e.Config().Global.Node, c.e.Config().Global.Description
	if in.Node == "" {
		in.Node, _ = os.Hostname()
	}
	return in
}

// version returns the module version tether was built at, "dev" when
// unknown.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Stats returns the `show stat` rows: for each proxy in configuration
// order its FRONTEND row, its servers and its BACKEND row.
func (c *engineControl) Stats() []StatRow {
	fronts := make(map[string]engine.FrontendInfo)
	for _, f := range c.e.Frontends() {
		fronts[f.Name] = f
	}
	backs := make(map[string]*engine.BackendInfo)
	servers := make(map[string]*engine.ServerInfo) // by "backend/server", for trackers
	infos := c.e.Backends()
	for i := range infos {
		backs[infos[i].Name] = &infos[i]
		for j := range infos[i].Servers {
			servers[infos[i].Name+"/"+infos[i].Servers[j].Name] = &infos[i].Servers[j]
		}
	}
	var rows []StatRow
	for _, p := range c.e.Config().Proxies {
		if f, ok := fronts[p.Name]; ok {
			t := &f.Traffic
			rows = append(rows, StatRow{Kind: StatFrontend, Proxy: p.Name, ProxyID: p.ID, Status: f.Status,
				Mode: "http", Pid: 1, Slim: f.MaxConn, Scur: f.Conns, Smax: f.MaxConns,
				Stot: t.Conns, ConnTot: t.Conns, ReqTot: t.Requests, Bin: t.Bin, Bout: t.BytesOut,
				Hrsp: t.Responses, Ereq: t.BadRequests,
				Rate: t.ConnRate, RateMax: t.ConnRateMax, ConnRate: t.ConnRate, ConnRateMax: t.ConnRateMax,
				ReqRate: t.ReqRate, ReqRateMax: t.ReqRateMax,
				H1: H1Stats{OpenConnections: f.Conns, TotalConnections: t.Conns, TotalStreams: t.Requests,
					BytesIn: t.BytesIn, BytesOut: t.BytesOut}})
		}
		if bi := backs[p.Name]; bi != nil {
			rows = c.appendBackendRows(rows, p, bi, servers)
		}
	}
	return rows
}

// appendBackendRows appends the server rows and the BACKEND row of a
// backend; servers holds every server by "backend/server", for the
// status of a tracking server, which is its tracked chain's.
func (c *engineControl) appendBackendRows(rows []StatRow, p *config.Proxy, bi *engine.BackendInfo, servers map[string]*engine.ServerInfo) []StatRow {
	be := StatRow{Kind: StatBackend, Proxy: p.Name, ProxyID: p.ID, Mode: "http", Pid: 1,
		Algo: algoNames[p.Balance.Algo], Cookie: p.Cookie.Name, LastSess: -1,
		Scur: bi.Conns, Smax: bi.ConnsMax, Qcur: bi.Queued, Qmax: bi.QueuedMax, Stot: bi.Requests,
		Econ: bi.Failed, Wretr: bi.Retries, Wredis: bi.Redisp, Slim: bi.FullConn, Status: "DOWN", ChkDown: bi.Downs,
		ReqTot: bi.Traffic.Requests, Bin: bi.Traffic.Bin, Bout: bi.Traffic.BytesOut, Hrsp: bi.Traffic.Responses,
		Rate: bi.Traffic.ReqRate, RateMax: bi.Traffic.ReqRateMax,
		LastChg: int64(bi.Since.Seconds()), Downtime: int64(bi.Downtime.Seconds())}
	eweights := 0 // the usable servers' effective weights, in sixteenths
	for i := range bi.Servers {
		si := &bi.Servers[i]
		sv := c.serverView(p.Name, si)
		r := StatRow{Kind: StatServer, Proxy: p.Name, ProxyID: p.ID, Server: si.Name, ServerID: si.ID,
			Mode: "http", Pid: 1, Weight: effWeight(si.Weight * si.Warm), UWeight: si.Weight, Slim: si.MaxConn,
			LastChg: int64(si.Since.Seconds()), LastSess: -1, Cookie: si.Cookie,
			Scur: si.Conns, Smax: si.ConnsMax, Qcur: si.Queued, Qmax: si.QueuedMax, Stot: si.Requests, LbTot: si.Picked,
			Connect: si.Connects, Reuse: si.Reuses, Econ: si.Failed,
			Wretr: si.Retries, Wredis: si.Redisp,
			Bin: si.Traffic.Bin, Bout: si.Traffic.BytesOut, Hrsp: si.Traffic.Responses, ReqTot: si.Traffic.Requests,
			Rate: si.Traffic.ReqRate, RateMax: si.Traffic.ReqRateMax,
			Check: sv.Check.Configured && si.Check&engine.CheckEnabled != 0, CheckPaused: si.Check&engine.CheckPaused != 0}
		cs := si.Config
		switch {
		case sv.Addr.IsValid():
			r.Addr = netip.AddrPortFrom(sv.Addr, uint16(sv.Port)).String()
		case cs != nil && cs.Addr.Network == config.NetUnix:
			r.Addr = "unix"
		}
		if si.Backup {
			r.Bck = 1
		} else {
			r.Act = 1
		}
		r.Tracked = si.Track
		r.Observed, r.HanaFail = cs != nil && cs.Observe != config.ObserveNone, si.CheckReport.Hana
		// The status of a tracking server reads the checks of the end of
		// its chain.
		ref, checked := si, r.Check
		for ref.Track != "" && servers[ref.Track] != nil {
			ref = servers[ref.Track]
			checked = ref.Config != nil && ref.Config.Check && ref.Check&engine.CheckEnabled != 0
		}
		view := sv
		view.Check.Health = ref.Health
		r.Status, r.Maint, r.Down = serverStatus(&view, checked, ref.Rise, ref.Fall, &ref.Agent)
		if sv.Admin&AdminRMaint == 0 && sv.Admin&engine.AdminIMaint != 0 {
			r.Status = "MAINT (via " + si.Track + ")"
		}
		drained := sv.Admin&(AdminFDrain|engine.AdminIDrain) != 0
		if sv.OpState == OpStarting && !drained && si.Weight > 0 {
			// A starting server's share, as HAProxy words it from the
			// effective weight.
			r.Throttle = (100*si.Weight*si.Warm + balance.Scale - 1) / (balance.Scale * si.Weight)
		}
		if !r.Maint && !r.Down && !drained && (sv.OpState == OpRunning || sv.OpState == OpStarting) {
			be.Status = "UP"
			eweights += si.Weight * si.Warm
			be.Act += r.Act
			be.Bck += r.Bck
		}
		be.UWeight += si.Weight
		be.LbTot += si.Picked
		be.Connect += si.Connects
		be.Reuse += si.Reuses
		if r.Check {
			rep := &si.CheckReport
			r.CheckStatus, r.CheckDesc, r.LastChk = rep.Status.Name(), rep.Status.Description(), rep.Desc
			if si.Check&engine.CheckInProgress != 0 {
				r.CheckStatus = "* " + r.CheckStatus
			}
			if rep.Status.HasCode() {
				r.CheckCode = strconv.Itoa(rep.Code)
			}
			r.CheckDuration, r.CheckUntimed = -1, rep.Status == engine.CheckHANA
			if rep.Duration >= 0 {
				r.CheckDuration = rep.Duration.Milliseconds()
			}
			r.ChkFail, r.ChkDown = rep.Failed, rep.Downs
			r.Downtime = int64(si.Downtime.Seconds())
			r.CheckRise, r.CheckFall = si.Rise, si.Fall
			r.CheckHealth = sv.Check.Health
		}
		if ag := &si.Agent; ag.On() {
			rep := &ag.Report
			r.Agent = AgentRow{On: true, Status: rep.Status.Name(), Desc: rep.Status.Description(), Last: rep.Desc,
				Duration: -1, Health: ag.Health}
			if ag.State&engine.CheckInProgress != 0 {
				r.Agent.Status = "* " + r.Agent.Status
			}
			if rep.Status.HasCode() {
				r.Agent.Code = strconv.Itoa(rep.Code)
			}
			if rep.Duration >= 0 {
				r.Agent.Duration = rep.Duration.Milliseconds()
			}
		}
		rows = append(rows, r)
	}
	be.Weight = effWeight(eweights)
	return append(rows, be)
}

// serverStatus returns the status column of a server row, as HAProxy
// words it from the server's state and its check counter (rise and fall
// are its check's; checked tells whether the check is enabled), and
// whether the server is in maintenance or down: "UP 2/3" is a running
// server whose checks have started to fail, "DOWN 1/2" a stopped one
// whose checks have started to pass. agent is the agent check of the
// same server: a server it holds down or drains reads "(agent)".
func serverStatus(sv *ServerView, checked bool, rise, fall int, agent *engine.AgentInfo) (status string, maint, down bool) {
	switch {
	case sv.Admin&AdminRMaint != 0:
		return "MAINT (resolution)", true, false
	case sv.Admin&engine.AdminMaintFlags != 0:
		return "MAINT", true, false
	}
	health, top := sv.Check.Health, rise+fall-1
	upCount := func(word string) string {
		return word + " " + strconv.Itoa(health-rise+1) + "/" + strconv.Itoa(fall)
	}
	switch sv.OpState {
	case OpRunning, OpStarting:
		going := checked && health < top
		switch {
		case sv.Admin&(AdminFDrain|engine.AdminIDrain) != 0 && agent.On():
			return "DRAIN (agent)", false, false
		case sv.Admin&(AdminFDrain|engine.AdminIDrain) != 0 && going:
			return upCount("DRAIN"), false, false
		case sv.Admin&(AdminFDrain|engine.AdminIDrain) != 0:
			return "DRAIN", false, false
		case going:
			return upCount("UP"), false, false
		case checked:
			return "UP", false, false
		}
		return "no check", false, false
	case OpStopping:
		if !checked || health == top {
			return "NOLB", false, false
		}
		return upCount("NOLB"), false, false
	}
	switch {
	case agent.On() && agent.Health == 0:
		return "DOWN (agent)", false, true
	case checked && health == 0:
		return "DOWN", false, true
	case checked || agent.On():
		return "DOWN " + strconv.Itoa(health) + "/" + strconv.Itoa(rise), false, true
	}
	return "DOWN", false, true
}

// effWeight is the weight `show stat` prints for an effective weight in
// sixteenths, rounded up as HAProxy rounds it.
func effWeight(sixteenths int) int { return (sixteenths + balance.Scale - 1) / balance.Scale }
