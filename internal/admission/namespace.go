package admission

import (
	"context"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Namespaces tells the labels of a namespace, which choose its policy.
type Namespaces interface {
	// Labels returns the namespace's labels. A namespace that does not exist has none
	// (found false), which is not an error: the defaults apply.
	Labels(ctx context.Context, name string) (labels map[string]string, found bool, err error)
}

// StaticNamespaces are fixed labels by namespace name, for tests and for running
// without a cluster.
type StaticNamespaces map[string]map[string]string

// Labels implements Namespaces.
func (s StaticNamespaces) Labels(_ context.Context, name string) (map[string]string, bool, error) {
	l, ok := s[name]
	return l, ok, nil
}

// NamespaceInformer keeps the cluster's namespaces in memory (a client-go informer), so
// a request costs no API call. A namespace the cache does not hold yet (created a moment
// ago) is read from the API server.
type NamespaceInformer struct {
	client  kubernetes.Interface
	factory informers.SharedInformerFactory
	lister  listersv1.NamespaceLister
	synced  cache.InformerSynced
	// LiveTimeout bounds the API call for a namespace the cache does not hold.
	LiveTimeout time.Duration
}

// NewNamespaceInformer builds the informer; call Start before using it.
func NewNamespaceInformer(client kubernetes.Interface, resync time.Duration) *NamespaceInformer {
	f := informers.NewSharedInformerFactory(client, resync)
	inf := f.Core().V1().Namespaces()
	n := &NamespaceInformer{client: client, factory: f, lister: inf.Lister(), synced: inf.Informer().HasSynced,
		LiveTimeout: 2 * time.Second}
	// Drop what policy does not read: a namespace is kept with its name and labels.
	_ = inf.Informer().SetTransform(func(obj any) (any, error) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: ns.Labels,
				ResourceVersion: ns.ResourceVersion}}, nil
		}
		return obj, nil
	})
	return n
}

// Watch calls f with a namespace's name and labels when the namespace is first seen and
// whenever its labels change (not on the informer's resyncs), so that a label kharden
// cannot read is logged once per change rather than on every request. Called after
// Start, f first gets every namespace already known.
func (n *NamespaceInformer) Watch(f func(name string, labels map[string]string)) {
	_, _ = n.factory.Core().V1().Namespaces().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ns, ok := obj.(*corev1.Namespace); ok {
				f(ns.Name, ns.Labels)
			}
		},
		UpdateFunc: func(old, cur any) {
			o, _ := old.(*corev1.Namespace)
			c, ok := cur.(*corev1.Namespace)
			if ok && (o == nil || !maps.Equal(o.Labels, c.Labels)) {
				f(c.Name, c.Labels)
			}
		},
	})
}

// Start runs the informer until ctx ends.
func (n *NamespaceInformer) Start(ctx context.Context) { n.factory.Start(ctx.Done()) }

// Synced tells whether the first list has arrived (the webhook is ready).
func (n *NamespaceInformer) Synced() bool { return n.synced() }

// WaitForSync waits for the first list or for ctx to end.
func (n *NamespaceInformer) WaitForSync(ctx context.Context) bool {
	return cache.WaitForCacheSync(ctx.Done(), n.synced)
}

// Labels implements Namespaces.
func (n *NamespaceInformer) Labels(ctx context.Context, name string) (map[string]string, bool, error) {
	ns, err := n.lister.Get(name)
	if err == nil {
		return ns.Labels, true, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, n.LiveTimeout)
	defer cancel()
	live, err := n.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read namespace %q: %w", name, err)
	}
	return live.Labels, true, nil
}
