package schema

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func jsonDecode(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }

func itoa(i int) string { return strconv.Itoa(i) }
