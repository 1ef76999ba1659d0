#!/usr/bin/env bash
# Make sure the external programs the workflow calls are installed: bwa, samtools
# (alignment), bcftools and tabix (VCF handling, SNV baseline), and, for the browser
# test of the report, chromium + chromedriver (--browser), and for the tests that run the
# workflow on a local SLURM cluster (scripts/local_slurm.sh), munge, SLURM and its
# accounting (slurmdbd, MariaDB) (--slurm).
# Installs Debian packages when missing and running as root; otherwise says exactly what
# to install.
set -euo pipefail

declare -A pkg_of=([bwa]=bwa [samtools]=samtools [bcftools]=bcftools [tabix]=tabix [bgzip]=tabix)
for opt in "$@"; do
  case "$opt" in
    --browser)
      pkg_of[chromium]=chromium
      pkg_of[chromedriver]=chromium-driver
      ;;
    --slurm)
      pkg_of[munged]=munge
      pkg_of[slurmctld]=slurmctld
      pkg_of[slurmd]=slurmd
      pkg_of[sbatch]=slurm-client
      # accounting for the local cluster (local_slurm.sh --accounting)
      pkg_of[slurmdbd]=slurmdbd
      pkg_of[mariadbd]=mariadb-server
      pkg_of[mariadb-install-db]=mariadb-server
      ;;
    *) echo "ensure_tools.sh: unknown option $opt (use --browser, --slurm)" >&2; exit 2 ;;
  esac
done

missing_pkgs=()
for tool in "${!pkg_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing_pkgs+=("${pkg_of[$tool]}")
done
[ ${#missing_pkgs[@]} -eq 0 ] && exit 0
mapfile -t missing_pkgs < <(printf '%s\n' "${missing_pkgs[@]}" | sort -u)

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ctcgenomics: installing Debian packages: ${missing_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
  exit 0
fi

cat >&2 <<MSG
ctcgenomics needs these programs, which are not on PATH: ${missing_pkgs[*]}
  - Debian/Ubuntu (as root):  apt-get install ${missing_pkgs[*]}
  - or conda/mamba:           mamba env create -f workflow/envs/align.yaml && mamba activate ctcgenomics-align
Then run the make command again.
MSG
exit 1
