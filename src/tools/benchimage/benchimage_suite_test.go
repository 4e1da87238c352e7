package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBenchimage(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "benchimage Suite")
}
