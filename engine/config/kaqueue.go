package config

// parseMaxKAQueue reads `max-keep-alive-queue <n>`: how long a server's
// queue may be for `option prefer-last-server` to keep a client on it. The
// number is read as C's strtol reads it (an optional sign, then decimal,
// octal after a 0 or hexadecimal after 0x), and stored plus one as HAProxy
// stores it, so that -1, the default, is 0. Extra words are ignored.
func (p *parser) parseMaxKAQueue(px *Proxy, a []string) {
	if len(a) == 0 || a[0] == "" {
		p.alert("'max-keep-alive-queue' expects expects an integer value (or -1 to disable)")
		return
	}
	n, rest := strtol(a[0])
	if rest != "" {
		p.alert("'max-keep-alive-queue' : unexpected character '" + rest[:1] + "' in integer value '" + a[0] + "'")
		return
	}
	if px.Cap&CapBackend == 0 && px.Cap&CapDefaults == 0 {
		p.warn("max-keep-alive-queue will be ignored because " + describe(px) + " has no backend capability")
	}
	// HAProxy keeps the value in an unsigned int before adding one: any
	// negative value but -1 ends up a very large limit.
	switch {
	case n == -1:
		px.MaxKAQueue = 0
	case n < 0:
		px.MaxKAQueue = -1
	default:
		px.MaxKAQueue = int(min(n, 1<<31-2)) + 1
	}
}

// strtol reads a leading integer of s as C's strtol with base 0 does, and
// returns it with the rest of s. Blanks before the number are skipped;
// without digits the whole of s is the rest.
func strtol(s string) (n int64, rest string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := int64(10)
	switch {
	case i+2 < len(s) && s[i] == '0' && s[i+1]|0x20 == 'x' && hexDigit(s[i+2]) >= 0:
		base, i = 16, i+2
	case i < len(s) && s[i] == '0':
		base = 8
	}
	start := i
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || int64(d) >= base {
			break
		}
		if n < 1<<40 {
			n = n*base + int64(d)
		}
	}
	if i == start {
		return 0, s
	}
	if neg {
		n = -n
	}
	return n, s[i:]
}

// hexDigit returns the value of a hexadecimal digit, or -1.
func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}
