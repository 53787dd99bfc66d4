package memory_test

import (
	"testing"

	esmemory "github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/memory"
)

func TestSuite(t *testing.T) {
	t.Parallel()
	ptest.Run(t, func(t *testing.T) ptest.Fixture[projection.NoTx] {
		return ptest.Fixture[projection.NoTx]{
			Store:  esmemory.New(),
			Target: memory.New(),
			Model:  ptest.NewMemoryModel(),
		}
	})
}
