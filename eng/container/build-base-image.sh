#!/usr/bin/env bash
# Builds a .NET runtime base image from this machine's own files and pushes it to a registry, without Docker:
#   layer 1: the runtime libraries .NET needs (glibc, libstdc++, ICU, OpenSSL, zlib, CA certificates, tzdata) from the installed
#            Debian packages, /etc/passwd and /etc/group with the non-root user app (uid 1654), /tmp;
#   layer 2: the installed .NET runtime (/usr/share/dotnet without the SDK).
# The image config carries APP_UID=1654 and ASPNETCORE_HTTP_PORTS=8080, from which `dotnet publish -t:PublishContainer` derives
# the user and port, as it does for Microsoft's images. Used by the tests, which cannot pull images here.
#
# usage: build-base-image.sh <registry host:port> <repository> <tag>      e.g. localhost:5000 mcpservices/aspnet-base 10.0
set -euo pipefail
registry=$1
repository=$2
tag=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- layer 1: libraries, users, /tmp -------------------------------------------------------------------------------------
libs=$work/libs
mkdir -p "$libs"
for package in libc6 libgcc-s1 libstdc++6 libicu72 libssl3 zlib1g ca-certificates tzdata; do
  dpkg -L "$package"
done | sort -u | while read -r path; do
  if [[ -f "$path" || -L "$path" ]] && [[ ! -d "$path" ]]; then
    printf '%s\n' "${path#/}"
  fi
done > "$work/files"
# One tar for the ~1,700 files (a copy each took a minute, and several on a busy machine). Debian's merged /usr: /lib, /lib64,
# /bin and /sbin are links into /usr; files are stored at their real place (symlink targets stay as they are).
tar -C / --no-recursion -cf - -T "$work/files" --transform 's#^\(lib\|lib64\|bin\|sbin\)/#usr/\1/#S' | tar -C "$libs" -xf -
mkdir -p "$libs/etc/ssl/certs" "$libs/tmp" "$libs/home/app" "$libs/usr/lib64"
cp -a /etc/ssl/certs/ca-certificates.crt "$libs/etc/ssl/certs/"
ln -s usr/lib "$libs/lib"
ln -s usr/lib64 "$libs/lib64"
ln -s usr/bin "$libs/bin"
chmod 1777 "$libs/tmp"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:1654:1654:app:/home/app:/usr/sbin/nologin\n' > "$libs/etc/passwd"
printf 'root:x:0:\napp:x:1654:\n' > "$libs/etc/group"

# --- layer 2: the .NET runtime ---------------------------------------------------------------------------------------------
runtime=$work/dotnet
mkdir -p "$runtime/usr/share/dotnet" "$runtime/usr/bin"
cp -a /usr/share/dotnet/dotnet /usr/share/dotnet/host /usr/share/dotnet/shared /usr/share/dotnet/LICENSE.txt "$runtime/usr/share/dotnet/"
ln -s ../share/dotnet/dotnet "$runtime/usr/bin/dotnet"

layer() { # <folder> <name>: writes name.tar.gz, prints "<digest of gz> <size of gz> <diff id of tar>"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' -C "$1" -cf "$work/$2.tar" .
  # /home/app belongs to the app user.
  if [[ "$2" == libs ]]; then
    tar --delete -f "$work/$2.tar" ./home/app 2>/dev/null || true
    tar --owner=1654 --group=1654 --numeric-owner --mtime='2000-01-01 00:00Z' --no-recursion -C "$1" -rf "$work/$2.tar" ./home/app
  fi
  gzip -n -6 -c "$work/$2.tar" > "$work/$2.tar.gz"
  echo "sha256:$(sha256sum "$work/$2.tar.gz" | cut -d' ' -f1) $(stat -c %s "$work/$2.tar.gz") sha256:$(sha256sum "$work/$2.tar" | cut -d' ' -f1)"
}
read -r libs_digest libs_size libs_diff < <(layer "$libs" libs)
read -r dotnet_digest dotnet_size dotnet_diff < <(layer "$runtime" dotnet)

jq -n --arg d1 "$libs_diff" --arg d2 "$dotnet_diff" '{
  architecture: "amd64", os: "linux",
  config: {
    User: "1654",
    Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_UID=1654", "ASPNETCORE_HTTP_PORTS=8080",
          "DOTNET_RUNNING_IN_CONTAINER=true", "DOTNET_ROOT=/usr/share/dotnet", "HOME=/home/app"],
    WorkingDir: "/app"
  },
  rootfs: { type: "layers", diff_ids: [$d1, $d2] },
  history: [{ created_by: "McpServices eng/container/build-base-image.sh: runtime libraries" }, { created_by: "McpServices eng/container/build-base-image.sh: .NET runtime" }]
}' > "$work/config.json"
config_digest="sha256:$(sha256sum "$work/config.json" | cut -d' ' -f1)"
config_size=$(stat -c %s "$work/config.json")

push_blob() { # <file> <digest>
  if curl -fs -o /dev/null -I "http://$registry/v2/$repository/blobs/$2" 2>/dev/null; then return; fi
  location=$(curl -fsS -X POST -D - -o /dev/null "http://$registry/v2/$repository/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [[ "$location" == http* ]] || location="http://$registry$location"
  separator='?'; [[ "$location" == *\?* ]] && separator='&'
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$location${separator}digest=$2" -o /dev/null
}
push_blob "$work/libs.tar.gz" "$libs_digest"
push_blob "$work/dotnet.tar.gz" "$dotnet_digest"
push_blob "$work/config.json" "$config_digest"

jq -n --arg cd "$config_digest" --argjson cs "$config_size" --arg l1 "$libs_digest" --argjson s1 "$libs_size" --arg l2 "$dotnet_digest" --argjson s2 "$dotnet_size" '{
  schemaVersion: 2,
  mediaType: "application/vnd.docker.distribution.manifest.v2+json",
  config: { mediaType: "application/vnd.docker.container.image.v1+json", size: $cs, digest: $cd },
  layers: [
    { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: $s1, digest: $l1 },
    { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: $s2, digest: $l2 }
  ]
}' > "$work/manifest.json"
curl -fsS -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' --data-binary "@$work/manifest.json" \
  "http://$registry/v2/$repository/manifests/$tag" -o /dev/null
echo "$registry/$repository:$tag"
