// Package contracts embeds the example's Avro contracts, so the demo can write an event
// exactly as a service deployed before PaymentProcessed v2 would have.
package contracts

import "embed"

// FS holds every <Event>/v<N>.avsc file.
//
//go:embed */*.avsc
var FS embed.FS
