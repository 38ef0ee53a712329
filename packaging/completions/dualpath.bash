# bash completion for dualpath; generated from its command registry, do not edit.
_dualpath() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local cmd=${COMP_WORDS[1]} sub=${COMP_WORDS[2]} words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "check check-config ddns doctor lab mape notify plan pppoe probe-serve run status version -h --help --version" -- "$cur")); return
  fi
  case "$prev" in
    --config|--out|--password-file|--state-dir|--state-root|--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  case "$cmd" in
    check) words="--config --json --socket -h --help" ;;
    check-config) words="-h --help" ;;
    ddns) words="--config --dry-run --once -h --help" ;;
    doctor) words="--config --interface --json --timeout -h --help" ;;
    lab)
      if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "up down status exec test demo chaos -h --help" -- "$cur")); return; else
        case "$sub" in
          up) words="--prefix --scenario --state-root -h --help" ;;
          down) words="--prefix --state-root -h --help" ;;
          status) words="--prefix --state-root -h --help" ;;
          exec) words="--prefix --state-root -h --help" ;;
          test) words="--json --prefix --state-root -h --help" ;;
          demo) words="--prefix --scenario --state-root -h --help" ;;
          chaos) words="--faults --json --kinds --mydns-outage --prefix --seed --state-root -h --help" ;;
        esac
      fi ;;
    mape) words="--check-port --iid --json --local --rule -h --help" ;;
    notify) words="--config --test -h --help" ;;
    plan) words="--config --force --netplan-dir --nginx --out -h --help" ;;
    pppoe) words="--ac-name --auth --default-route --echo-failures --echo-interval --echo-probe-interval --events --interface --ipv6cp --macvlan --mtu --password-file --service --state-dir --table --tun --username -h --help" ;;
    probe-serve) words="--burst --every --listen --tls-cert --tls-key --token-file -h --help" ;;
    run) words="--config -h --help" ;;
    status) words="--config --json --socket -h --help" ;;
    version) words="-h --help" ;;
  esac
  if [[ "$cur" == -* || -z "$cur" ]] && [ -n "$words" ]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _dualpath dualpath
