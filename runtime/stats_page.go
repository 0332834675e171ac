package runtime

import (
	"bytes"
	"html"
	"strings"

	"tether/engine"
)

// statsPageColumns are the `show stat` columns the HTML statistics page
// shows, in order.
var statsPageColumns = []string{
	"pxname", "svname", "status", "weight", "act", "bck", "qcur", "qmax", "scur", "smax", "slim", "stot",
	"bin", "bout", "ereq", "econ", "eresp", "wretr", "wredis", "chkfail", "chkdown", "lastchg", "downtime",
	"check_status", "lbtot", "addr", "cookie",
}

// StatsPage returns what the `stats uri` pages of e show (engine.StatsPage):
// the CSV of `show stat` as an admin-level socket prints it, or an HTML
// table of its main columns. The HTML is tether's own: only the CSV is
// HAProxy's, column for column.
func StatsPage(e *engine.Engine) engine.StatsPage {
	ctl := EngineControl(e)
	return func(dst []byte, csv bool) []byte {
		rows := ctl.Stats()
		out := []byte(statHeader)
		for i := range rows {
			out = appendStatRow(out, &rows[i])
		}
		if csv {
			return append(dst, out...)
		}
		return appendStatsHTML(dst, out)
	}
}

// appendStatsHTML appends the HTML page of the CSV of `show stat`.
func appendStatsHTML(dst, csv []byte) []byte {
	lines := strings.Split(strings.TrimSuffix(string(csv), "\n"), "\n")
	header := strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	index := make([]int, len(statsPageColumns))
	for i, name := range statsPageColumns {
		index[i] = -1
		for j, h := range header {
			if h == name {
				index[i] = j
			}
		}
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Statistics Report for tether</title>\n" +
		"<meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">\n" +
		"<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;font:12px monospace}</style>\n" +
		"</head><body>\n<h1>Statistics Report for tether</h1>\n<table>\n<tr>")
	for _, name := range statsPageColumns {
		b.WriteString("<th>" + html.EscapeString(name) + "</th>")
	}
	b.WriteString("</tr>\n")
	for _, line := range lines[1:] {
		cells := splitCSV(line)
		b.WriteString("<tr>")
		for _, j := range index {
			v := ""
			if j >= 0 && j < len(cells) {
				v = cells[j]
			}
			b.WriteString("<td>" + html.EscapeString(v) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n</body></html>\n")
	return append(dst, b.Bytes()...)
}

// splitCSV splits a `show stat` row into its cells, undoing the quoting
// of cells holding commas or quotes.
func splitCSV(line string) []string {
	var cells []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '"' && i+1 < len(line) && line[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(cells, cur.String())
}
