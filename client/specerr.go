package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// specFieldWants says what each field of a JSONL task spec takes, by its
// JSON name, for the errors of a line that gives it something else.
var specFieldWants = map[string]string{
	"name":     "a string",
	"cmd":      "an array of strings",
	"handler":  "a string",
	"payload":  "a string of standard base64",
	"shell":    "true or false",
	"env":      "an object of strings",
	"retries":  "a whole number",
	"timeout":  `a duration string like "10m" or "90s"`,
	"on":       "an object of strings",
	"priority": "low, normal or high",
	"key":      "a string",

	"no_retry_exit":     "a list of exit codes, like [2, 64]",
	"after":             `a list of task ids, like ["01J..."]`,
	"after_key":         `a list of idempotency keys, like ["extract"]`,
	"starting_deadline": `a duration string like "10m" or "90s"`,
	"backoff":           `a duration string like "10m" or "90s"`,
	"in":                `a duration string like "10m" or "90s"`,
	"at":                "an RFC 3339 time string, like \"2026-12-07T02:00:00Z\"",
}

// specJSONError rewords an error of decoding a task spec's JSON in the
// spec's own terms, the field's JSON name and what it takes ("retries: want
// a whole number, got 1.5"), where encoding/json names Go types and structs
// ("cannot unmarshal number 1.5 into Go struct field taskSpecJSON.retries
// of type int") and base64 names no field at all. Other errors (syntax)
// are returned as they are.
func specJSONError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var b64Err base64.CorruptInputError
	switch {
	case errors.As(err, &typeErr):
		got := jsonKind(typeErr.Value)
		if typeErr.Field == "" {
			return fmt.Errorf("want a JSON object, got %s", got)
		}
		// Field is a path ("env.A" in some Go versions): its first element
		// is the spec's field.
		field, _, _ := strings.Cut(typeErr.Field, ".")
		want, ok := specFieldWants[field]
		if !ok {
			want = "a " + typeErr.Type.String()
		}
		// An element of a list or object: {"cmd":["echo",1]}.
		switch k := typeErr.Type.Kind(); {
		case (field == "cmd" || field == "env" || field == "on" || field == "after" || field == "after_key") && k == reflect.String,
			field == "no_retry_exit" && k == reflect.Int:
			got += " in it"
		}
		return fmt.Errorf("%s: want %s, got %s", field, want, got)
	case errors.As(err, &b64Err):
		// payload is a spec's only []byte field.
		return fmt.Errorf("payload: want %s: %v", specFieldWants["payload"], err)
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s (a task's fields: %s)", msg, specFieldNames())
	}
	return err
}

// checkFieldNames refuses a spec object, already decoded, that gives a
// field twice, or a name twice in env or on (encoding/json keeps the last:
// {"cmd":["rm","x"],"cmd":["true"]} ran true), or a field in another case
// than its own ("CMD", which encoding/json takes for cmd).
func checkFieldNames(b []byte) error {
	keys, vals := objectKeys(b)
	if k := repeated(keys); k != "" {
		return fmt.Errorf("field %q given twice", k)
	}
	for i, k := range keys {
		if !specFields()[k] {
			return fmt.Errorf("unknown field %q (a task's fields: %s)", k, specFieldNames())
		}
		if k == "env" || k == "on" {
			names, _ := objectKeys(vals[i])
			if name := repeated(names); name != "" {
				return fmt.Errorf("%s: %q given twice", k, name)
			}
		}
	}
	return nil
}

// objectKeys lists the keys of the JSON object b and their values, in
// order, repeats included (none if b, decoded before, is no object: a
// null).
func objectKeys(b []byte) (keys []string, vals []json.RawMessage) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys, vals
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return keys, vals
		}
		k, _ := t.(string)
		keys, vals = append(keys, k), append(vals, v)
	}
	return keys, vals
}

// repeated is the first of keys given again ("" if none).
func repeated(keys []string) string {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			return k
		}
		seen[k] = true
	}
	return ""
}

// specFields is the set of a spec's field names.
var specFields = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Split(specFieldNames(), ", ") {
		out[n] = true
	}
	return out
})

// jsonKind describes what a line gave, from UnmarshalTypeError.Value:
// "number 1.5" (the number itself), "string", "array", "object", "bool".
func jsonKind(value string) string {
	if n, ok := strings.CutPrefix(value, "number "); ok {
		return n
	}
	switch value {
	case "array", "object":
		return "an " + value
	case "bool":
		return "a boolean"
	}
	return "a " + value
}

// specFieldNames lists the fields of a JSONL task spec in their order.
func specFieldNames() string {
	t := reflect.TypeFor[taskSpecJSON]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return strings.Join(names, ", ")
}
