package esdb_test

import (
	"strings"
	"testing"

	"github.com/esgen/esgen/eventstore/esdb"
)

// FuzzRedactConnectionString checks that a password never survives redaction, whatever the
// rest of the connection string looks like.
func FuzzRedactConnectionString(f *testing.F) {
	f.Add("admin", "changeit", "localhost:2113?tls=false")
	f.Add("u", "p@ss:word", "a:1,b:2")
	f.Add("", "secret", "")
	f.Fuzz(func(t *testing.T, user, password, rest string) {
		// Skip inputs where the password also appears in what must be kept.
		if strings.ContainsAny(user, ":@/") || strings.Contains(rest, "@") || len(password) < 4 ||
			strings.Contains("esdb://"+user+":xxxxx@"+rest, password) {
			return
		}
		conn := "esdb://" + user + ":" + password + "@" + rest
		if got := esdb.RedactConnectionString(conn); strings.Contains(got, password) {
			t.Fatalf("RedactConnectionString(%q) = %q still holds the password", conn, got)
		}
	})
}
