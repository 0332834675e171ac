package persist

import (
	"math/rand/v2"
	"strings"
	"time"
)

// randomRequests returns n requests with random Cookie fields and random
// server Set-Cookie fields built from the pieces the spec's rules care
// about: the cookie name in several spellings, blanks around '=', quoted
// values with escapes, '$' attributes, name-only elements, empty elements,
// both delimiters, dates and prefix delimiters.
func randomRequests(r *rand.Rand, name string, n int) []oracleRequest {
	now := time.Now().Unix()
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	names := []string{name, name, name, strings.ToLower(name), "x", "y", "$Path", "$Version", name + "2"}
	values := []string{"a", "b", "zz", "", `"b"`, `"a;b"`, `"x\"y;z"`, "a b", "b|" + enc(now), "b|" + enc(now-100) + "|" + enc(now-100),
		"b|" + enc(now+90000), "b|garbage|x", "a~", "b~abc", "~x", "zz~y", "b~x~y", "b|AAAAA|" + enc(now), "a,b"}
	element := func() string {
		switch r.IntN(10) {
		case 0:
			return pick("flag", "", "$Port", name)
		default:
			return pick(names...) + pick("=", "=", "=", " =", "= ", " = ", "\t=\t") + pick(values...)
		}
	}
	field := func(delims ...string) string {
		var b strings.Builder
		for i, k := 0, 1+r.IntN(5); i < k; i++ {
			if i > 0 {
				b.WriteString(pick(delims...))
			}
			b.WriteString(element())
		}
		return strings.Trim(b.String(), " \t")
	}
	var out []oracleRequest
	for i := 0; i < n; i++ {
		var req oracleRequest
		for j, k := 0, r.IntN(3); j < k; j++ {
			if f := field("; ", ";", ",", ", ", " ; ", ";;", ";  ", " ,"); f != "" {
				req.cookies = append(req.cookies, f)
			}
		}
		for j, k := 0, r.IntN(3); j < k; j++ {
			if f := field("; ", ";", ", "); f != "" {
				req.fields = append(req.fields, "Set-Cookie: "+f)
			}
		}
		out = append(out, req)
	}
	return out
}
