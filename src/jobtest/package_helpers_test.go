package jobtest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

// expectExeInPackage checks that the Windows path exe (C:\var\vcap\packages\
// <pkg>\<file>) is what the release really installs: packages/<pkg>/spec
// picks up build/<pkg>/*.exe, its packaging copies every .exe, and
// config/binaries builds that file from Go package main.
func expectExeInPackage(release, pkg, exe, main string) {
	ExpectWithOffset(1, exe).To(HavePrefix(`C:\var\vcap\packages\` + pkg + `\`))
	file := filepath.Base(strings.ReplaceAll(exe, `\`, "/"))

	raw, err := os.ReadFile(filepath.Join(release, "packages", pkg, "spec"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	var spec struct {
		Name  string   `yaml:"name"`
		Files []string `yaml:"files"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	ExpectWithOffset(1, dec.Decode(&spec)).To(Succeed())
	ExpectWithOffset(1, spec.Name).To(Equal(pkg))
	// scripts/build-binaries builds each config/binaries entry into
	// build/<package>/, and the packaging copies every .exe.
	ExpectWithOffset(1, spec.Files).To(ConsistOf("build/" + pkg + "/*.exe"))
	matched, err := filepath.Match(spec.Files[0], "build/"+pkg+"/"+file)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ExpectWithOffset(1, matched).To(BeTrue())

	packaging, err := os.ReadFile(filepath.Join(release, "packages", pkg, "packaging"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ExpectWithOffset(1, string(packaging)).To(ContainSubstring("Get-ChildItem -Path . -Recurse -Filter *.exe | Copy-Item -Destination $env:BOSH_INSTALL_TARGET"))

	binaries, err := os.ReadFile(filepath.Join(release, "config", "binaries"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ExpectWithOffset(1, strings.Fields(grepLine(string(binaries), file))).To(Equal([]string{pkg, file, main}))
}
