package codegen

import (
	"go/token"
	"strings"
	"unicode"
)

// initialisms are written in upper case in Go identifiers, as golint and the standard
// library do.
var initialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true, "EOF": true,
	"GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true, "IP": true, "JSON": true,
	"LHS": true, "QPS": true, "RAM": true, "RHS": true, "RPC": true, "SKU": true, "SLA": true,
	"SMTP": true, "SQL": true, "SSH": true, "TCP": true, "TLS": true, "TTL": true, "UDP": true,
	"UI": true, "UID": true, "URI": true, "URL": true, "UTC": true, "UTF8": true, "UUID": true,
	"VAT": true, "VM": true, "XML": true, "XSRF": true, "XSS": true,
}

// words splits an Avro name ("order_id", "orderId", "ORDER-ID", "order.types") into words.
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case unicode.IsUpper(r):
			// A new word starts at an upper-case letter that follows a lower-case letter or
			// digit, or that starts a capitalised word after an acronym ("HTTPServer").
			if len(cur) > 0 {
				prev := rs[i-1]
				next := i+1 < len(rs) && unicode.IsLower(rs[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && next) {
					flush()
				}
			}
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

// pascal turns an Avro name into an exported Go identifier.
func pascal(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		up := strings.ToUpper(w)
		if initialisms[up] {
			b.WriteString(up)
			continue
		}
		rs := []rune(strings.ToLower(w))
		if allUpper(w) || !hasUpper(w[1:]) {
			rs[0] = unicode.ToUpper(rs[0])
			b.WriteString(string(rs))
			continue
		}
		// Keep the inner capitals of camelCase words.
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	id := b.String()
	if id == "" {
		return "X"
	}
	if !unicode.IsLetter([]rune(id)[0]) {
		id = "X" + id
	}
	if token.IsKeyword(id) {
		id += "_"
	}
	return id
}

func allUpper(s string) bool {
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

func hasUpper(s string) bool {
	for _, r := range s {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// snake turns a Go or Avro name into a file-name friendly snake_case word.
func snake(s string) string {
	ws := words(s)
	for i, w := range ws {
		ws[i] = strings.ToLower(w)
	}
	return strings.Join(ws, "_")
}
