package persist

// inPlaceModel rewrites a Cookie field value the way HAProxy does it: in
// place, closing gaps as it goes, with positions that always refer to the
// buffer as already edited. It only models the edits (blank stripping,
// prefix stripping and insert+indirect deletion), not the server choice.
// The fuzz tests compare Cookie's edit lists with it.
func inPlaceModel(name string, mode Mode, indirect bool, value []byte) (out []byte, removed bool) {
	buf := append([]byte(nil), value...)
	end := len(buf)
	blank := func(c byte) bool { return c == ' ' || c == '\t' }
	// cut removes buf[a:b] and returns the (negative) shift.
	cut := func(a, b int) int {
		copy(buf[a:], buf[b:end])
		end -= b - a
		return a - b
	}
	// del removes the cookies between the delimiter at *from and next,
	// returning the shift applied to positions after next.
	del := func(from *int, next int) int {
		p := *from
		if p == 0 {
			if next < end {
				next++
			}
			for next < end && blank(buf[next]) {
				next++
			}
		} else {
			for p > 0 && blank(buf[p-1]) {
				p--
			}
			*from = p
			if next < end {
				buf[p] = buf[next]
				p++
				next++
				if p+1 < next {
					buf[p] = ' '
					p++
				}
				for next < end && blank(buf[next]) {
					next++
				}
			}
		}
		return cut(p, next)
	}
	delFrom, keep := -1, false
	for prev, first := 0, true; prev < end; first = false {
		att := prev
		if !first {
			att++
		}
		for att < end && blank(buf[att]) {
			att++
		}
		eq, attEnd := att, att
		for eq < end && buf[eq] != '=' && buf[eq] != ';' && buf[eq] != ',' {
			eq++
			if !blank(buf[eq-1]) {
				attEnd = eq
			}
		}
		var valBeg, valEnd, next int
		if eq < end && buf[eq] == '=' {
			valBeg = eq + 1
			for valBeg < end && blank(buf[valBeg]) {
				valBeg++
			}
			quoted, escaped := false, false
			for next = valBeg; next < end; next++ {
				c := buf[next]
				if escaped {
					escaped = false
				} else if quoted {
					escaped, quoted = c == '\\', c != '"'
				} else if c == '"' {
					quoted = true
				} else if c == ';' || c == ',' {
					break
				}
			}
			valEnd = next
			for valEnd > valBeg && blank(buf[valEnd-1]) {
				valEnd--
			}
		} else {
			valBeg, valEnd, next = eq, eq, eq
		}
		if att < end && buf[att] == '$' {
			prev = next
			continue
		}
		if eq == next {
			keep = true
			if delFrom >= 0 {
				d := del(&delFrom, prev)
				next += d
				delFrom = -1
			}
			prev = next
			continue
		}
		if attEnd != eq {
			d := cut(attEnd, eq)
			eq += d
			valBeg += d
			valEnd += d
			next += d
		}
		if valBeg > eq+1 {
			d := cut(eq+1, valBeg)
			valBeg += d
			valEnd += d
			next += d
		}
		if name != "" && string(buf[att:attEnd]) == name {
			tilde := valEnd
			if mode == Prefix {
				for i := valBeg; i < valEnd; i++ {
					if buf[i] == '~' {
						tilde = i
						break
					}
				}
			}
			if mode == Prefix && tilde != valEnd {
				d := cut(valBeg, tilde+1)
				next += d
				keep = true
			} else if delFrom < 0 && mode == Insert && indirect {
				delFrom = prev
			}
		} else {
			keep = true
			if delFrom >= 0 {
				d := del(&delFrom, prev)
				next += d
				delFrom = -1
			}
		}
		prev = next
	}
	if delFrom >= 0 {
		if !keep {
			return nil, true
		}
		end = delFrom
	}
	// A field the edits emptied goes; one that came empty stays.
	if end == 0 && len(value) > 0 {
		return nil, true
	}
	return buf[:end], false
}
