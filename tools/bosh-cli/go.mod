// Wrapper module that pins the BOSH CLI and the dependency versions the Go
// module proxy actually serves, so the CLI builds offline from the module
// cache. See README.md. Build with:
//   go build -o OUT github.com/cloudfoundry/bosh-cli/v7
module github.com/garden-windows/garden-windows-release/tools/bosh-cli

go 1.26

tool github.com/cloudfoundry/bosh-cli/v7

require (
	code.cloudfoundry.org/clock v1.76.0 // indirect
	code.cloudfoundry.org/tlsconfig v0.53.0 // indirect
	code.cloudfoundry.org/workpool v0.0.0-20250911194158-1489753f182e // indirect
	github.com/VividCortex/ewma v1.2.0 // indirect
	github.com/bmatcuk/doublestar v1.3.4 // indirect
	github.com/cheggaaa/pb/v3 v3.1.7 // indirect
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/cloudfoundry/bosh-agent/v2 v2.825.0 // indirect
	github.com/cloudfoundry/bosh-cli/v7 v7.10.1 // indirect
	github.com/cloudfoundry/bosh-davcli v0.0.484 // indirect
	github.com/cloudfoundry/bosh-gcscli v0.0.367 // indirect
	github.com/cloudfoundry/bosh-s3cli v0.0.395 // indirect
	github.com/cloudfoundry/bosh-utils v0.0.623 // indirect
	github.com/cloudfoundry/config-server v0.1.266 // indirect
	github.com/cloudfoundry/go-socks5 v0.0.0-20250423223041-4ad5fea42851 // indirect
	github.com/cloudfoundry/socks5-proxy v0.2.179 // indirect
	github.com/cppforlife/go-patch v0.2.0 // indirect
	github.com/cppforlife/go-semi-semantic v0.0.0-20160921010311-576b6af77ae4 // indirect
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/fatih/color v1.18.0 // indirect
	github.com/google/btree v1.1.3 // indirect
	github.com/gopacket/gopacket v1.5.0 // indirect
	github.com/hashicorp/errwrap v1.1.0 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/jessevdk/go-flags v1.6.1 // indirect
	github.com/jpillora/backoff v1.0.0 // indirect
	github.com/kr/pretty v0.3.1 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mattn/go-runewidth v0.0.21 // indirect
	github.com/nu7hatch/gouuid v0.0.0-20131221200532-179d4d0c4d8d // indirect
	github.com/peterbourgon/diskv v2.0.1+incompatible // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	github.com/vito/go-interact v1.0.2 // indirect
	golang.org/x/crypto v0.53.0 // indirect
	golang.org/x/net v0.56.0 // indirect
	golang.org/x/sys v0.46.0 // indirect
	golang.org/x/term v0.44.0 // indirect
	golang.org/x/text v0.38.0 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

// bosh-cli v7.10.1 asks for versions the proxy does not serve (403). These are
// older versions that it does serve and that bosh-cli compiles against.
replace (
	github.com/cloudfoundry/bosh-agent/v2 => github.com/cloudfoundry/bosh-agent/v2 v2.759.0
	github.com/cloudfoundry/config-server => github.com/cloudfoundry/config-server v0.1.248
)

// Only bosh-cli's S3/GCS release-blobstore code imports these; the stand-ins
// compile but return "not available in this offline build" errors.
replace (
	github.com/cloudfoundry/bosh-gcscli => ./standins/bosh-gcscli
	github.com/cloudfoundry/bosh-s3cli => ./standins/bosh-s3cli
)
