// Package integration tests the ways kharden is wired into other tools, each through
// the entry point that tool would run and with the repository's examples: the GitHub
// Action (action.yml, ci/github/entrypoint.sh), the GitLab CI template
// (ci/gitlab/kharden.gitlab-ci.yml), the pre-commit hooks (.pre-commit-hooks.yaml),
// kharden as the kubectl plugin kubectl-kharden, and the examples of docs/ci.md
// (examples/ci/). It has no code of its own; the tests build kharden once.
package integration
