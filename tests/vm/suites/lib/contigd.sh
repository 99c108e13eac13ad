# Shared by the guest suites that start contigd (sourced, not run).
# tests/vm/run puts this directory at /suite-lib in the guest; a suite
# reads it with
#   . /suite-lib/contigd.sh
# The suite defines fail MESSAGE (report, clean up, exit non-zero).

# contigd_wait_socket DIR PID SECONDS
# Returns once DIR/contigd.sock exists; calls fail when contigd (PID)
# exits first or SECONDS pass.
contigd_wait_socket() {
	_cws_n=0
	until [ -S "$1/contigd.sock" ]; do
		_cws_n=$((_cws_n + 1))
		[ "$_cws_n" -lt $(($3 * 10)) ] || fail "contigd did not start in $3 s"
		kill -0 "$2" 2>/dev/null || fail "contigd exited (pid $2)"
		sleep 0.1
	done
}
