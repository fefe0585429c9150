package expr

// MapEnv is a simple Env backed by maps: MapEnv{"vars": {"balance": NumberValue(12)}}. The
// current time is MapEnv{"now": {"": TimeValue(t)}}.
type MapEnv map[string]map[string]Value

// Lookup implements Env.
func (m MapEnv) Lookup(ns, name string) (Value, bool) {
	v, ok := m[ns][name]
	return v, ok
}

// Set stores a value, creating the namespace map when needed.
func (m MapEnv) Set(ns, name string, v Value) {
	if m[ns] == nil {
		m[ns] = map[string]Value{}
	}
	m[ns][name] = v
}
