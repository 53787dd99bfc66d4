package events

//go:generate go run github.com/esgen/esgen/cmd/esgen generate --config ../esgen.yaml
