package steps

// GoldenCases exposes the golden test matrix to the external tests
// (route_proof_test.go), so the routing proof covers exactly the cases
// whose artifacts the golden files hold.
func GoldenCases() (names []string, inputs []Inputs) {
	for _, c := range allCases() {
		names = append(names, c.name)
		inputs = append(inputs, c.in)
	}
	return names, inputs
}
