package schema

// validate walks a decoded schema document and reports every problem with
// its JSON path.
func validate(file string, doc any) []Problem {
	return nil
}
