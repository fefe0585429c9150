package config

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts the name of every environment variable that overrides ivrd.yaml.
const EnvPrefix = "IVRD"

// ApplyEnv overrides config values from environment variables, read through getenv
// (os.Getenv in the daemon). The variable for a value is its YAML path in upper case:
//
//	IVRD_ + the keys from the root, joined by "_", each upper-cased with every character
//	that is not a letter or a digit turned into "_".
//
// List elements are addressed by index from 0, map entries by their key:
//
//	listen.http                     IVRD_LISTEN_HTTP
//	database.url                    IVRD_DATABASE_URL
//	freeswitch[0].password          IVRD_FREESWITCH_0_PASSWORD
//	queues.cards.agents             IVRD_QUEUES_CARDS_AGENTS
//
// Values are written as in YAML scalars: strings as-is, numbers, true/false, durations like
// 30s or 5m, and lists of scalars as comma-separated items ("user/1001,user/1002"). A variable
// that is unset or empty changes nothing (to empty a value, edit the file).
//
// Values of types that read their own YAML syntax (calendars:) cannot be set this way.
//
// Environment variables can also add list elements after the last one in the file: if
// freeswitch: has two nodes, IVRD_FREESWITCH_2_ADDRESS (with _NAME, _PASSWORD...) adds a
// third. Map entries and list elements of scalars cannot be added this way; write them in
// the file. A value that does not parse is an error naming the variable.
func ApplyEnv(c *Config, getenv func(string) string) error {
	if c == nil {
		return nil
	}
	return applyEnv(c, EnvPrefix, getenv)
}

// applyEnv is ApplyEnv for any pointer to a struct.
func applyEnv(ptr any, prefix string, getenv func(string) string) error {
	w := envWalker{getenv: getenv}
	_, err := w.walk(reflect.ValueOf(ptr).Elem(), prefix)
	return err
}

// EnvVar is one environment variable ApplyEnv reads for a config, as `ivrd config env` lists them.
type EnvVar struct {
	Name string // e.g. IVRD_DATABASE_URL
	Path string // the YAML path, e.g. database.url
	Type string // string, int, bool, duration, list...
}

// EnvVars lists the variables that override the values present in c (list elements and
// map entries as they are in c), in config order.
func EnvVars(c *Config) []EnvVar {
	w := envWalker{getenv: func(string) string { return "" }, list: &[]EnvVar{}}
	_, _ = w.walk(reflect.ValueOf(c).Elem(), EnvPrefix)
	return *w.list
}

// EnvName turns one YAML key into its part of a variable name: upper case, with every
// character that is not an ASCII letter or digit turned into '_'.
func EnvName(key string) string {
	b := []byte(strings.ToUpper(key))
	for i, ch := range b {
		if !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

type envWalker struct {
	getenv func(string) string
	list   *[]EnvVar // when listing, not applying
	path   []string
}

var (
	durationType        = reflect.TypeOf(time.Duration(0))
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// lookup reports the variable's value and whether it is set; through getenv an empty value
// cannot be told from an unset one, so both count as unset.
func (w *envWalker) lookup(name string) (string, bool) {
	v := w.getenv(name)
	return v, v != ""
}

// walk applies the environment to v, whose variable name prefix is name. It reports whether
// any variable was set for v or below.
func (w *envWalker) walk(v reflect.Value, name string) (bool, error) {
	if isScalar(v.Type()) {
		return w.scalar(v, name)
	}
	if customYAML(v.Type()) {
		// Its Go fields are not its YAML keys (ivr.Calendar reads its own syntax): no
		// variable can name a part of it.
		return false, nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			if w.list != nil {
				return false, nil
			}
			fresh := reflect.New(v.Type().Elem())
			set, err := w.walk(fresh.Elem(), name)
			if set && err == nil {
				v.Set(fresh)
			}
			return set, err
		}
		return w.walk(v.Elem(), name)
	case reflect.Struct:
		return w.structFields(v, name)
	case reflect.Slice:
		if isScalar(v.Type().Elem()) {
			return w.scalar(v, name)
		}
		any := false
		for i := 0; i < v.Len(); i++ {
			w.path = append(w.path, strconv.Itoa(i))
			set, err := w.walk(v.Index(i), fmt.Sprintf("%s_%d", name, i))
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return false, err
			}
			any = any || set
		}
		if w.list != nil {
			return any, nil
		}
		// Add elements after the last one while variables for the next index are set.
		for i := v.Len(); ; i++ {
			fresh := reflect.New(v.Type().Elem()).Elem()
			w.path = append(w.path, strconv.Itoa(i))
			set, err := w.walk(fresh, fmt.Sprintf("%s_%d", name, i))
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return false, err
			}
			if !set {
				return any, nil
			}
			v.Set(reflect.Append(v, fresh))
			any = true
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return false, nil
		}
		keys := v.MapKeys()
		strs := make([]string, len(keys))
		for i, k := range keys {
			strs[i] = k.String()
		}
		slices.Sort(strs)
		any := false
		for _, k := range strs {
			key := reflect.ValueOf(k).Convert(v.Type().Key())
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(key))
			w.path = append(w.path, k)
			set, err := w.walk(elem, name+"_"+EnvName(k))
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return false, err
			}
			if set {
				v.SetMapIndex(key, elem)
				any = true
			}
		}
		return any, nil
	}
	return false, nil
}

func (w *envWalker) structFields(v reflect.Value, name string) (bool, error) {
	t := v.Type()
	any := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
			continue
		}
		key, inline, skip := yamlKey(f)
		if skip {
			continue
		}
		fieldName := name
		if !inline {
			fieldName = name + "_" + EnvName(key)
			w.path = append(w.path, key)
		}
		set, err := w.walk(v.Field(i), fieldName)
		if !inline {
			w.path = w.path[:len(w.path)-1]
		}
		if err != nil {
			return false, err
		}
		any = any || set
	}
	return any, nil
}

// yamlKey returns the key a struct field has in YAML (goccy/go-yaml rules: the tag's name, or
// the field name in lower case), whether it is inlined, and whether it is skipped.
func yamlKey(f reflect.StructField) (key string, inline, skip bool) {
	tag := f.Tag.Get("yaml")
	if tag == "-" {
		return "", false, true
	}
	parts := strings.Split(tag, ",")
	for _, opt := range parts[1:] {
		if opt == "inline" {
			return "", true, false
		}
	}
	if parts[0] != "" {
		return parts[0], false, false
	}
	if f.Anonymous && f.Type.Kind() == reflect.Struct {
		return "", true, false
	}
	return strings.ToLower(f.Name), false, false
}

func (w *envWalker) scalar(v reflect.Value, name string) (bool, error) {
	if w.list != nil {
		*w.list = append(*w.list, EnvVar{Name: name, Path: strings.Join(w.path, "."), Type: typeName(v.Type())})
		return false, nil
	}
	s, ok := w.lookup(name)
	if !ok {
		return false, nil
	}
	if err := setScalar(v, s); err != nil {
		return false, fmt.Errorf("environment variable %s (%s): %w", name, strings.Join(w.path, "."), err)
	}
	return true, nil
}

// customYAML reports whether t decodes itself from YAML (an UnmarshalYAML method, any of
// goccy/go-yaml's unmarshaler interfaces).
func customYAML(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	_, ok := reflect.PointerTo(t).MethodByName("UnmarshalYAML")
	return ok
}

func isScalar(t reflect.Type) bool {
	if t == durationType || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Pointer:
		return isScalar(t.Elem())
	}
	return false
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Slice:
		return "list of " + typeName(t.Elem()) + " (comma-separated)"
	case t.Kind() == reflect.Pointer:
		return typeName(t.Elem())
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		return "text"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.Kind().String()
}

// setScalar parses s into v, which is a scalar, a pointer to one, or a slice of them.
func setScalar(v reflect.Value, s string) error {
	t := v.Type()
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	if t == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration: write it like 30s, 5m or 1h30m", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		fresh := reflect.New(t.Elem())
		if err := setScalar(fresh.Elem(), s); err != nil {
			return err
		}
		v.Set(fresh)
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean: write true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer that fits %s", s, t.Kind())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer that fits %s", s, t.Kind())
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case reflect.Slice:
		var items []string
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			if err := setScalar(out.Index(i), it); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		v.Set(out)
	default:
		return fmt.Errorf("values of type %s cannot be set from the environment", t)
	}
	return nil
}
