//go:build !race

package avrocodec_test

const raceEnabled = false
