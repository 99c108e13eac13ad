# bash completion for contigctl(8)                         -*- shell-script -*-

_contigctl_pids()
{
	local p
	for p in /proc/[0-9]*; do
		printf '%s\n' "${p#/proc/}"
	done
}

_contigctl()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	case $prev in
	--runtime-dir | --proc-root)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--range | --timeout)
		return
		;;
	esac

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		show | defrag | status)
			cmd=${COMP_WORDS[i]}
			break
			;;
		--runtime-dir | --proc-root) ((i++)) ;;
		esac
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W 'show defrag status --runtime-dir
			--proc-root --help --version' -- "$cur"))
		return
	fi
	case $cmd in
	show)
		COMPREPLY=($(compgen -W '--json --wide --runtime-dir --proc-root
			$(_contigctl_pids)' -- "$cur"))
		;;
	defrag)
		COMPREPLY=($(compgen -W '--range --wait --timeout --json
			--runtime-dir $(_contigctl_pids)' -- "$cur"))
		;;
	status)
		COMPREPLY=($(compgen -W '--json --runtime-dir' -- "$cur"))
		;;
	esac
}
complete -F _contigctl contigctl
