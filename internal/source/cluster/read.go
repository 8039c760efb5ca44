package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The resources a Snapshot holds, as the keys of Snapshot.Unavailable: the plural
// resource names of the API, and two of kharden's own ("version" for the server
// version, "controlplane" for the static pods of the control plane).
const (
	ResourceVersion                         = "version"
	ResourceNamespaces                      = "namespaces"
	ResourceNodes                           = "nodes"
	ResourceServiceAccounts                 = "serviceaccounts"
	ResourceNetworkPolicies                 = "networkpolicies"
	ResourcePods                            = "pods"
	ResourcePodTemplates                    = "podtemplates"
	ResourceReplicationControllers          = "replicationcontrollers"
	ResourceDeployments                     = "deployments"
	ResourceStatefulSets                    = "statefulsets"
	ResourceDaemonSets                      = "daemonsets"
	ResourceReplicaSets                     = "replicasets"
	ResourceJobs                            = "jobs"
	ResourceCronJobs                        = "cronjobs"
	ResourceRoles                           = "roles"
	ResourceClusterRoles                    = "clusterroles"
	ResourceRoleBindings                    = "rolebindings"
	ResourceClusterRoleBindings             = "clusterrolebindings"
	ResourceValidatingWebhookConfigurations = "validatingwebhookconfigurations"
	ResourceMutatingWebhookConfigurations   = "mutatingwebhookconfigurations"
	ResourceControlPlane                    = "controlplane"
)

// ControlPlaneComponents are the values of the "component" label of the control
// plane's static pods (kubeadm and most distributions label them so, with
// tier=control-plane).
var ControlPlaneComponents = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"}

// ReadOptions tune Read.
type ReadOptions struct {
	// Namespace limits the namespaced lists to one namespace; empty means all. The
	// cluster-scoped lists (nodes, cluster roles, webhooks) are read either way, and
	// Namespaces then holds only that namespace (read with get, not list).
	Namespace string
	// PageSize is the number of objects asked for per request; 0 means 500.
	PageSize int64
	// Progress, when set, is called after each page with the resource and the number of
	// its objects listed so far. Calls never overlap.
	Progress func(resource string, n int)
	// ConnectTimeout bounds the first request, which tells whether the API server can be
	// reached at all; 0 means 8 seconds.
	ConnectTimeout time.Duration
	// Parallel is how many lists run at once; 0 means 4.
	Parallel int
}

// UnreachableError says the API server could not be reached or did not answer the
// first request in time.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the Kubernetes API server at %s: %v", e.Host, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// Tune returns a copy of cfg set up for reading a whole cluster: protobuf on the wire,
// bounded dial and request times, and a rate limit that lets a few lists page at once.
// Settings the caller made (a dialer, a timeout, QPS) are kept.
func Tune(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	if c.ContentType == "" {
		c.ContentType = "application/vnd.kubernetes.protobuf"
		c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}
	if c.Dial == nil {
		c.Dial = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
	}
	if c.QPS == 0 && c.RateLimiter == nil {
		c.QPS, c.Burst = 50, 100
	}
	if c.UserAgent == "" {
		c.UserAgent = "kharden"
	}
	return c
}

// Read lists what an audit needs from the cluster cfg points at (see Tune, which Read
// applies). A resource the credentials may not list (403), or that the server does not
// serve (404), goes into Snapshot.Unavailable and the read goes on; any other error
// ends the read. An API server that cannot be reached gives an *UnreachableError
// within ConnectTimeout.
//
// Each list is paginated and the objects' managedFields are dropped, so memory is
// roughly the objects' own size.
func Read(ctx context.Context, cfg *rest.Config, o ReadOptions) (*Snapshot, error) {
	cfg = Tune(cfg)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 8 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	s := &Snapshot{Namespace: o.Namespace, Unavailable: map[string]error{}}
	r := &reader{o: o, s: s}

	// The first request is bounded on its own: it tells an unreachable server apart.
	first, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	s.Server, err = cs.Discovery().ServerVersionWithContext(first)
	cancel()
	if err != nil {
		if !isAPIStatus(err) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ue *url.Error
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				err = fmt.Errorf("no answer within %s", o.ConnectTimeout)
			case errors.As(err, &ue):
				err = ue.Err // the URL is the host's, which the message names
			}
			return nil, &UnreachableError{Host: cfg.Host, Err: err}
		}
		if err := r.unavailable(ResourceVersion, err); err != nil {
			return nil, err
		}
		s.Server = nil
	}

	ns := o.Namespace
	core, apps, batch, rbac, netv1, adm := cs.CoreV1(), cs.AppsV1(), cs.BatchV1(), cs.RbacV1(), cs.NetworkingV1(), cs.AdmissionregistrationV1()
	lists := []func(context.Context) error{
		func(ctx context.Context) error {
			if ns == "" {
				return listInto(ctx, r, ResourceNamespaces, core.Namespaces().List, &s.Namespaces)
			}
			// One namespace: get it, which a namespace-scoped auditor may do.
			n, err := core.Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("namespace %q not found", ns)
			}
			if err != nil {
				return r.unavailable(ResourceNamespaces, err)
			}
			n.ManagedFields = nil
			s.Namespaces = []corev1.Namespace{*n}
			r.progress(ResourceNamespaces, 1)
			return nil
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceNodes, core.Nodes().List, &s.Nodes)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceServiceAccounts, core.ServiceAccounts(ns).List, &s.ServiceAccounts)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceNetworkPolicies, netv1.NetworkPolicies(ns).List, &s.NetworkPolicies)
		},
		func(ctx context.Context) error {
			if err := listInto(ctx, r, ResourcePods, core.Pods(ns).List, &s.Pods); err != nil {
				return err
			}
			if ns == "" || ns == metav1.NamespaceSystem {
				if e := s.Missing(ResourcePods); e != nil {
					return r.unavailable(ResourceControlPlane, e)
				}
				s.ControlPlane = controlPlane(s.Pods)
				return nil
			}
			// Another namespace: read kube-system's pods for the control plane.
			var pods []corev1.Pod
			err := listInto(ctx, r, ResourceControlPlane, core.Pods(metav1.NamespaceSystem).List, &pods)
			s.ControlPlane = controlPlane(pods)
			return err
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourcePodTemplates, core.PodTemplates(ns).List, &s.PodTemplates)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceReplicationControllers, core.ReplicationControllers(ns).List, &s.ReplicationControllers)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceDeployments, apps.Deployments(ns).List, &s.Deployments)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceStatefulSets, apps.StatefulSets(ns).List, &s.StatefulSets)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceDaemonSets, apps.DaemonSets(ns).List, &s.DaemonSets)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceReplicaSets, apps.ReplicaSets(ns).List, &s.ReplicaSets)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceJobs, batch.Jobs(ns).List, &s.Jobs)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceCronJobs, batch.CronJobs(ns).List, &s.CronJobs)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceRoles, rbac.Roles(ns).List, &s.Roles)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceClusterRoles, rbac.ClusterRoles().List, &s.ClusterRoles)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceRoleBindings, rbac.RoleBindings(ns).List, &s.RoleBindings)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceClusterRoleBindings, rbac.ClusterRoleBindings().List, &s.ClusterRoleBindings)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceValidatingWebhookConfigurations, adm.ValidatingWebhookConfigurations().List, &s.ValidatingWebhooks)
		},
		func(ctx context.Context) error {
			return listInto(ctx, r, ResourceMutatingWebhookConfigurations, adm.MutatingWebhookConfigurations().List, &s.MutatingWebhooks)
		},
	}
	if err := runLimited(ctx, o.Parallel, lists); err != nil {
		return nil, err
	}
	if len(s.Unavailable) == 0 {
		s.Unavailable = nil
	}
	return s, nil
}

// reader is the state the concurrent lists share.
type reader struct {
	o  ReadOptions
	s  *Snapshot
	mu sync.Mutex // guards s.Unavailable and Progress calls
}

func (r *reader) progress(resource string, n int) {
	if r.o.Progress == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.o.Progress(resource, n)
}

// unavailable records that resource could not be listed when err is an API answer
// that says so (forbidden, not served, or another refusal of that one request), and
// returns err when it is anything else (the connection, the credentials).
func (r *reader) unavailable(resource string, err error) error {
	if apierrors.IsUnauthorized(err) {
		return fmt.Errorf("the API server rejected the credentials (reading %s): %w", resource, err)
	}
	if !isAPIStatus(err) {
		return fmt.Errorf("reading %s: %w", resource, err)
	}
	r.mu.Lock()
	r.s.Unavailable[resource] = err
	r.mu.Unlock()
	return nil
}

func isAPIStatus(err error) bool {
	var st apierrors.APIStatus
	return errors.As(err, &st)
}

// list is a typed List call of client-go.
type list[L any] func(context.Context, metav1.ListOptions) (L, error)

// pageOf is a typed list: its items and where the next page starts.
type pageOf interface{ GetContinue() string }

// listInto lists every object of a resource into dst, page by page. An API refusal
// records the resource as unavailable and leaves dst empty, with no error. A continue
// token that expired between pages restarts the list in one request, as client-go's
// pager does.
func listInto[L pageOf, T any](ctx context.Context, r *reader, resource string, call list[L], dst *[]T) error {
	var out []T
	opts := metav1.ListOptions{Limit: r.o.PageSize}
	for {
		l, err := call(ctx, opts)
		if err != nil {
			if opts.Continue != "" && apierrors.IsResourceExpired(err) {
				out, opts = out[:0], metav1.ListOptions{}
				continue
			}
			return r.unavailable(resource, err)
		}
		page := itemsOf[T](l)
		for i := range page {
			if m, ok := any(&page[i]).(metav1.Object); ok {
				m.SetManagedFields(nil)
			}
		}
		if out == nil {
			out = page
		} else {
			out = append(out, page...)
		}
		r.progress(resource, len(out))
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			*dst = slices.Clip(out)
			return nil
		}
	}
}

// itemsOf returns the Items of a typed list (*corev1.PodList...), which share no
// interface for them.
func itemsOf[T any](l any) []T {
	return reflect.ValueOf(l).Elem().FieldByName("Items").Interface().([]T)
}

// controlPlane picks the static pods of the control plane from kube-system's pods.
func controlPlane(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if p.Namespace != metav1.NamespaceSystem {
			continue
		}
		if p.Labels["tier"] == "control-plane" || slices.Contains(ControlPlaneComponents, p.Labels["component"]) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// runLimited runs fs with at most n at a time and returns the first error, cancelling
// the context of the others.
func runLimited(ctx context.Context, n int, fs []func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, f := range fs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx); err != nil {
				once.Do(func() { first = err; cancel(err) })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}
