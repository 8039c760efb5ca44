package dockerfile

import "github.com/kharden/kharden/internal/rule"

// All returns every Dockerfile rule, sorted by ID. Adding a rule means adding it here.
func All() []*Rule {
	return []*Rule{
		NoSudo,
		CopyNotAdd,
		NoAutoUpgrade,
		AptPin,
		BaseImageTag,
		ApkPin,
		YumPin,
		ZypperPin,
		PipPin,
		NpmPin,
		GemPin,
		WorkdirAbsolute,
		NoCd,
		GoInstallPin,
		NoInstallRecommends,
		PackageCacheCleanup,
		UserNotRoot,
		UpdateAlone,
		AptGetYes,
		NoSecrets,
		ExposedPorts,
		ManyExposedPorts,
		NetworkToolsInImage,
		DockerignoreMissing,
		DockerignoreIncomplete,
		ConsecutiveRuns,
		BuildToolsInFinalStage,
		RecursiveCopy,
		RecursiveCopyUnignored,
		RemoteScriptPipe,
		InsecureDownload,
		UnverifiedDownload,
		RemoteControlTools,
	}
}

// Metas returns the metadata of rules.
func Metas(rules []*Rule) []*rule.Meta {
	out := make([]*rule.Meta, len(rules))
	for i, r := range rules {
		out[i] = &r.Meta
	}
	return out
}
