package cluster

import (
	"errors"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ConfigOptions choose the cluster and credentials as kubectl does.
type ConfigOptions struct {
	// Kubeconfig is a kubeconfig file; empty means $KUBECONFIG, then ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context; empty means the current one.
	Context string
}

// Config loads the client configuration with kubectl's rules (--kubeconfig,
// $KUBECONFIG, ~/.kube/config, --context) and, when no kubeconfig is found and the
// process runs in a pod, the pod's service account (rest.InClusterConfig).
func Config(o ConfigOptions) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no cluster configured: no kubeconfig found (give --kubeconfig or set KUBECONFIG) and not running in a pod")
		}
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}
