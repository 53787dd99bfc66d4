package postgres

// ReadAllQuery returns the global read statement with the given filters, for EXPLAIN.
func ReadAllQuery(s *Store, types, prefix bool) string {
	v := 0
	if types {
		v |= filterTypes
	}
	if prefix {
		v |= filterPrefix
	}
	return s.q.readAll[v]
}

// HorizonSQL is the read horizon query.
const HorizonSQL = horizonSQL
