package wincmd_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/cellprep/wincmd"
)

var _ = Describe("Windows features", func() {
	Describe("the name mapping", func() {
		It("knows Containers and FS-Resource-Manager", func() {
			Expect(wincmd.KnownFeatures()).To(Equal([]string{"Containers", "FS-Resource-Manager"}))
		})

		It("maps Server Manager names to DISM feature names, ignoring case", func() {
			Expect(wincmd.FeatureDISMNames("Containers")).To(Equal([]string{"Containers"}))
			Expect(wincmd.FeatureDISMNames("fs-resource-manager")).To(Equal([]string{"FSRM-Infrastructure-Services", "FSRM-Infrastructure"}))
		})

		It("hands out a copy the caller may change", func() {
			names, err := wincmd.FeatureDISMNames("FS-Resource-Manager")
			Expect(err).NotTo(HaveOccurred())
			names[0] = "Changed"
			Expect(wincmd.FeatureDISMNames("FS-Resource-Manager")).To(HaveExactElements("FSRM-Infrastructure-Services", "FSRM-Infrastructure"))
		})

		It("refuses an unknown name, listing the known ones", func() {
			_, err := wincmd.FeatureDISMNames("FSRM-Infrastructure")
			Expect(err).To(MatchError(wincmd.ErrUnknownFeature))
			Expect(err.Error()).To(ContainSubstring(`"FSRM-Infrastructure"`))
			Expect(err.Error()).To(ContainSubstring("Containers, FS-Resource-Manager"))

			_, err = wincmd.FeatureInfoCommands("Hyper-V")
			Expect(err).To(MatchError(wincmd.ErrUnknownFeature))
			_, err = wincmd.EnableFeatureCommand("")
			Expect(err).To(MatchError(wincmd.ErrUnknownFeature))
		})
	})

	Describe("the commands", func() {
		It("queries each DISM feature behind a name, in English", func() {
			cmds, err := wincmd.FeatureInfoCommands("FS-Resource-Manager")
			Expect(err).NotTo(HaveOccurred())
			Expect(cmds).To(HaveLen(2))
			Expect(cmds[0].String()).To(Equal("dism.exe /Online /Get-FeatureInfo /FeatureName:FSRM-Infrastructure-Services /English"))
			Expect(cmds[1]).To(Equal(wincmd.Command{Name: "dism.exe", Args: []string{"/Online", "/Get-FeatureInfo", "/FeatureName:FSRM-Infrastructure", "/English"}}))
		})

		It("enables all of a name's DISM features in one run, with parents and without a restart", func() {
			cmd, err := wincmd.EnableFeatureCommand("Containers")
			Expect(err).NotTo(HaveOccurred())
			Expect(cmd.String()).To(Equal("dism.exe /Online /Enable-Feature /FeatureName:Containers /All /NoRestart /English"))

			cmd, err = wincmd.EnableFeatureCommand("FS-Resource-Manager")
			Expect(err).NotTo(HaveOccurred())
			Expect(cmd.String()).To(Equal("dism.exe /Online /Enable-Feature /FeatureName:FSRM-Infrastructure-Services /FeatureName:FSRM-Infrastructure /All /NoRestart /English"))
		})
	})

	Describe("FeatureState", func() {
		DescribeTable("says whether the feature is installed and whether a restart waits",
			func(s wincmd.FeatureState, installed, restart bool) {
				Expect(s.Installed()).To(Equal(installed))
				Expect(s.RestartNeeded()).To(Equal(restart))
			},
			Entry(nil, wincmd.FeatureEnabled, true, false),
			Entry(nil, wincmd.FeatureEnablePending, true, true),
			Entry(nil, wincmd.FeatureDisabled, false, false),
			Entry(nil, wincmd.FeatureDisablePending, false, true),
			Entry(nil, wincmd.FeatureDisabledWithPayloadRemoved, false, false),
		)
	})

	Describe("ParseFeatureInfo", func() {
		DescribeTable("reads the name and state from captured output",
			func(file string, want wincmd.FeatureInfo) {
				for _, out := range []string{sample(file), crlf(sample(file))} {
					Expect(wincmd.ParseFeatureInfo(wincmd.Output{Stdout: out})).To(Equal(want))
				}
			},
			Entry("enabled", "dism_featureinfo_containers_enabled.txt", wincmd.FeatureInfo{Name: "Containers", State: wincmd.FeatureEnabled}),
			Entry("disabled", "dism_featureinfo_fsrm_disabled.txt", wincmd.FeatureInfo{Name: "FSRM-Infrastructure", State: wincmd.FeatureDisabled}),
			Entry("enable pending", "dism_featureinfo_enable_pending.txt", wincmd.FeatureInfo{Name: "Containers", State: wincmd.FeatureEnablePending}),
			Entry("payload removed", "dism_featureinfo_payload_removed.txt", wincmd.FeatureInfo{Name: "FSRM-Infrastructure-Services", State: wincmd.FeatureDisabledWithPayloadRemoved}),
			Entry("custom properties that look like a state", "dism_featureinfo_custom_properties.txt", wincmd.FeatureInfo{Name: "Containers", State: wincmd.FeatureEnabled}),
		)

		It("reports a feature this Windows does not have, whichever way the exit code arrives", func() {
			for _, code := range []int{0x800F080C, -2146498548} {
				_, err := wincmd.ParseFeatureInfo(wincmd.Output{Stdout: crlf(sample("dism_featureinfo_unknown_feature.txt")), ExitCode: code})
				Expect(err).To(MatchError(wincmd.ErrFeatureNotAvailable))
				Expect(err.Error()).To(ContainSubstring("0x800F080C"))
				Expect(err.Error()).To(ContainSubstring("Error: 0x800f080c: Feature name Containers is unknown. A Windows feature name was not recognized."))
				Expect(err.Error()).NotTo(ContainSubstring("dism.log"))
			}
		})

		It("quotes DISM's explanation when it needs elevation", func() {
			_, err := wincmd.ParseFeatureInfo(wincmd.Output{Stdout: sample("dism_error_740.txt"), ExitCode: 740})
			Expect(err).To(MatchError(ContainSubstring("exit code 740, Error: 740: Elevated permissions are required to run DISM.")))
			Expect(err).NotTo(MatchError(wincmd.ErrFeatureNotAvailable))
		})

		It("quotes the output when DISM fails without an Error line", func() {
			_, err := wincmd.ParseFeatureInfo(wincmd.Output{Stdout: "", Stderr: "dism.exe crashed\r\n", ExitCode: 1})
			Expect(err).To(MatchError(ContainSubstring(`exit code 1 and printed no "Error:" line; its output begins: dism.exe crashed`)))
		})

		It("refuses output without a State line", func() {
			_, err := wincmd.ParseFeatureInfo(wincmd.Output{Stdout: sample("dism_featureinfo_no_state.txt")})
			Expect(err).To(MatchError(ContainSubstring(`no "State : ..." line`)))
			Expect(err).To(MatchError(ContainSubstring("Deployment Image Servicing and Management tool")))
		})

		It("refuses a state it does not know, quoting the line", func() {
			_, err := wincmd.ParseFeatureInfo(wincmd.Output{Stdout: crlf(sample("dism_featureinfo_odd_state.txt"))})
			Expect(err).To(MatchError(ContainSubstring(`"State : Partially Enabled"`)))
			Expect(err).To(MatchError(ContainSubstring(`"Enable Pending"`)))
		})

		It("refuses two State lines", func() {
			out := "Feature Information:\n\nFeature Name : Containers\nState : Enabled\nState : Disabled\n"
			_, err := wincmd.ParseFeatureInfo(wincmd.Output{Stdout: out})
			Expect(err).To(MatchError(ContainSubstring(`"State : Enabled" and "State : Disabled"`)))
		})
	})

	Describe("ParseEnableFeature", func() {
		It("reads a finished enable", func() {
			Expect(wincmd.ParseEnableFeature(wincmd.Output{Stdout: crlf(sample("dism_enable_ok.txt"))})).To(BeFalse())
		})

		It("reads the progress bar's last redraw as a terminal shows it", func() {
			out := "Enabling feature(s)\r\n[====  10.0%    ]\r[=====100.0%=====]\r\nThe operation completed successfully.\r\n"
			Expect(wincmd.ParseEnableFeature(wincmd.Output{Stdout: out})).To(BeFalse())
		})

		It("takes exit code 3010 as success that needs a restart", func() {
			Expect(wincmd.ParseEnableFeature(wincmd.Output{Stdout: crlf(sample("dism_enable_restart.txt")), ExitCode: wincmd.ExitRestartRequired})).To(BeTrue())
		})

		It("takes DISM's restart request as a restart even with exit code 0", func() {
			Expect(wincmd.ParseEnableFeature(wincmd.Output{Stdout: sample("dism_enable_restart.txt")})).To(BeTrue())
		})

		It("quotes DISM's error when the feature's files are missing", func() {
			_, err := wincmd.ParseEnableFeature(wincmd.Output{Stdout: crlf(sample("dism_enable_source_missing.txt")), ExitCode: 0x800F081F})
			Expect(err).To(MatchError(ContainSubstring("exit code 2148468767 (0x800F081F), Error: 0x800f081f: The source files could not be found.")))
			Expect(err).NotTo(MatchError(wincmd.ErrFeatureNotAvailable))
		})

		It("refuses exit code 0 without the success line", func() {
			_, err := wincmd.ParseEnableFeature(wincmd.Output{Stdout: "\r\nDeployment Image Servicing and Management tool\r\nVersion: 10.0.17763.1697\r\n"})
			Expect(err).To(MatchError(ContainSubstring(`did not print "The operation completed successfully."; its output begins: Deployment Image Servicing and Management tool / Version: 10.0.17763.1697`)))
		})

		It("fails for a non-elevated run", func() {
			_, err := wincmd.ParseEnableFeature(wincmd.Output{Stdout: sample("dism_error_740.txt"), ExitCode: 740})
			Expect(err).To(MatchError(ContainSubstring("Elevated permissions are required")))
		})
	})
})
