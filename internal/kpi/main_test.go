package kpi_test

import (
	"os"
	"testing"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.RunNoLeaks(m)) }
