package balance

// firstPicker is first: the usable active server (under `option allbackups`
// without one, the usable backup server) with the lowest index (HAProxy's
// id order) that has a free connection slot. Servers without
// maxconn always have one, so the first of them takes all further traffic.
type firstPicker struct {
	t *Table
}

// Pick implements Picker.
func (p *firstPicker) Pick(_ *Key, avoid int) int {
	t := p.t
	group := t.group()
	if len(group) == 0 {
		if t.fbck >= 0 {
			return t.fbck
		}
		return None
	}
	avoided := -1
	for _, i := range group {
		if t.full(int(i)) {
			continue
		}
		if int(i) != avoid {
			return int(i)
		}
		avoided = int(i)
	}
	if avoided >= 0 {
		return avoided
	}
	return Full
}
