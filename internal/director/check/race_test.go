package check

// raceEnabled is set by race_on_test.go when the tests run with -race. A
// variable with a tagged init rather than a "!race" twin file: test/vet.sh
// vets each build tag set and refuses negated tags.
var raceEnabled = false
