package fstest

// varList holds channel variables in FreeSWITCH's order: setting a variable removes it and
// appends it at the end; setting it to "" deletes it.
type varList struct {
	names []string
	vals  map[string]string
}

func newVarList() *varList { return &varList{vals: map[string]string{}} }

func (v *varList) get(name string) (string, bool) {
	s, ok := v.vals[name]
	return s, ok
}

func (v *varList) set(name, value string) {
	if _, ok := v.vals[name]; ok {
		for i, n := range v.names {
			if n == name {
				v.names = append(v.names[:i], v.names[i+1:]...)
				break
			}
		}
		delete(v.vals, name)
	}
	if value == "" {
		return
	}
	v.names = append(v.names, name)
	v.vals[name] = value
}

// setInPlace changes a value without moving it (FreeSWITCH's switch_event_add_header with
// SWITCH_STACK_BOTTOM on an existing header replaces in some paths); it appends if absent.
func (v *varList) setInPlace(name, value string) {
	if _, ok := v.vals[name]; ok && value != "" {
		v.vals[name] = value
		return
	}
	v.set(name, value)
}

func (v *varList) clone() *varList {
	c := &varList{names: append([]string(nil), v.names...), vals: make(map[string]string, len(v.vals))}
	for k, s := range v.vals {
		c.vals[k] = s
	}
	return c
}
