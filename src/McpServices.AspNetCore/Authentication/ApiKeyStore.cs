using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore;

/// <summary>A validated API key: who is calling and what it may do.</summary>
internal sealed record ApiKeyIdentity(string KeyId, string Owner, IReadOnlyList<string> Scopes);

/// <summary>
/// The API keys a service accepts: from configuration (reloaded with it) and from an optional JSON file, typically a mounted
/// Kubernetes Secret, polled for changes so revocation takes effect without a restart. Keys have the form
/// <c>mcpk_&lt;id&gt;_&lt;secret&gt;</c>; only SHA-256 hashes are stored and compared in constant time.
/// </summary>
internal sealed partial class ApiKeyStore : IDisposable
{
    public const string Prefix = "mcpk_";

    private readonly McpServiceSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _fileLock = new();
    private FrozenDictionary<string, Entry> _fromConfiguration = FrozenDictionary<string, Entry>.Empty;
    private FrozenDictionary<string, Entry> _fromFile = FrozenDictionary<string, Entry>.Empty;
    private string? _fileFingerprint;
    private long _nextFileCheck;

    public ApiKeyStore(McpServiceSettings settings, ILogger<ApiKeyStore> logger, TimeProvider? time = null)
    {
        _settings = settings;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        LoadConfiguration();
        _settings.Changed += LoadConfiguration;
        CheckFile(force: true);
    }

    /// <summary>Whether any key source is configured (used to decide whether the service has a way to authenticate callers).</summary>
    public bool IsConfigured => _settings.Current.Authentication.ApiKeys.Count > 0 || !string.IsNullOrEmpty(_settings.Current.Authentication.ApiKeysFile);

    public static bool LooksLikeApiKey(ReadOnlySpan<char> value) => value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Returns the key's identity, or <see langword="null"/> when the key is unknown, malformed, revoked or does not match, with
    /// <paramref name="refusal"/> saying which (for the service's log only: the caller gets the same 401 whichever it is).
    /// </summary>
    public ApiKeyIdentity? Validate(string presented, out string? refusal)
    {
        CheckFile(force: false);
        if (!TryParseId(presented, out var keyId))
        {
            refusal = $"The API key is malformed: API keys have the form {Prefix}<id>_<secret>.";
            return null;
        }

        var inFile = _fromFile.TryGetValue(keyId, out var fileEntry);
        var inConfiguration = _fromConfiguration.TryGetValue(keyId, out var configurationEntry);
        if (!inFile && !inConfiguration)
        {
            // The id is the caller's: named only when it is one a key can have (no line breaks or other text for the log).
            refusal = IsValidKeyId(keyId) ? $"No API key '{keyId}' is configured." : "No API key with that id is configured (it is not an id a key can have).";
            return null;
        }

        if ((inFile && fileEntry!.Disabled) || (inConfiguration && configurationEntry!.Disabled))
        {
            // Revoked in either source is revoked: a key disabled in configuration must not live on in the mounted file.
            refusal = $"The API key '{keyId}' is revoked (Disabled).";
            return null;
        }

        // The file's entry (a mounted Secret, rotated without a restart) is the key; configuration's, when the file has none.
        var entry = inFile ? fileEntry! : configurationEntry!;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented);
        SHA256.HashData(bytes, hash);
        if (!CryptographicOperations.FixedTimeEquals(hash, entry.Hash))
        {
            refusal = $"The API key '{keyId}' does not match its configured hash (a wrong secret, or a key replaced since).";
            return null;
        }

        refusal = null;
        return entry.Identity;
    }

    /// <summary>Creates a new random key for <paramref name="keyId"/> and the hash to configure (used by tooling and tests).</summary>
    public static (string Key, string Hash) CreateKey(string keyId)
    {
        if (!IsValidKeyId(keyId))
        {
            throw new ArgumentException("A key id has 1-64 letters, digits or '-'.", nameof(keyId));
        }

        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '-');
        var key = $"{Prefix}{keyId}_{secret}";
        return (key, HashOf(key));
    }

    public static string HashOf(string key) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>What a configured key must look like (<see cref="IsValidKeyId"/>, <see cref="TryParseHash"/>), for the messages that refuse one.</summary>
    internal const string KeyRequirements = "the id must have 1-64 letters, digits or '-', and Hash must be 'sha256:' followed by the 64 hex digits of the key's SHA-256";

    internal static bool IsValidKeyId(string keyId) =>
        keyId.Length is > 0 and <= 64 && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    public void Dispose() => _settings.Changed -= LoadConfiguration;

    private static bool TryParseId(string presented, out string keyId)
    {
        keyId = string.Empty;
        if (presented.Length > 512 || !LooksLikeApiKey(presented))
        {
            return false;
        }

        var rest = presented.AsSpan(Prefix.Length);
        var separator = rest.IndexOf('_');
        if (separator <= 0)
        {
            return false;
        }

        keyId = rest[..separator].ToString();
        return true;
    }

    private void LoadConfiguration()
    {
        _fromConfiguration = Build(_settings.Current.Authentication.ApiKeys, "configuration");
    }

    private void CheckFile(bool force)
    {
        var path = _settings.Current.Authentication.ApiKeysFile;
        var now = _time.GetTimestamp();
        if (!force && now < Volatile.Read(ref _nextFileCheck))
        {
            return;
        }

        lock (_fileLock)
        {
            if (!force && now < _nextFileCheck)
            {
                return;
            }

            _nextFileCheck = now + (long)(_settings.Current.Authentication.ApiKeysReloadInterval.TotalSeconds * _time.TimestampFrequency);
            if (string.IsNullOrEmpty(path))
            {
                _fromFile = FrozenDictionary<string, Entry>.Empty;
                _fileFingerprint = null;
                return;
            }

            byte[] content;
            try
            {
                content = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (_fileFingerprint is not null || force)
                {
                    LogFileMissing(_logger, path, Directory.Exists(path) ? DirectoryInstead(path) : ex.Message);
                }

                // A missing file means no keys from it: revocation must never depend on the file staying readable.
                _fromFile = FrozenDictionary<string, Entry>.Empty;
                _fileFingerprint = null;
                return;
            }

            var fingerprint = Convert.ToHexString(SHA256.HashData(content));
            if (fingerprint == _fileFingerprint)
            {
                return;
            }

            try
            {
                _fromFile = Build(ReadFile(content, path), path);
                _fileFingerprint = fingerprint;
                LogFileLoaded(_logger, _fromFile.Count, path);
            }
            catch (JsonException ex)
            {
                LogFileInvalid(_logger, path, ex.Message);
                _fromFile = FrozenDictionary<string, Entry>.Empty;
                _fileFingerprint = fingerprint;
            }
        }
    }

    /// <summary>The directory a Secret is mounted at, given instead of the file in it: what to name instead.</summary>
    private static string DirectoryInstead(string path)
    {
        var files = Directory.EnumerateFiles(path).Select(Path.GetFileName).Where(name => !name!.StartsWith('.')).Order(StringComparer.Ordinal).Take(5).ToArray();
        return files.Length == 0 ? "it is a directory, and empty: name the keys file" : $"it is a directory: name the keys file in it — {string.Join(", ", files)}";
    }

    /// <summary>
    /// The keys in a keys file (a JSON object: key id → entry). An entry that cannot be used is left out with an error naming
    /// why, and the others stay: a member the entry type does not have (a misspelled <c>Disabled</c> would leave a revoked key
    /// working), a value of the wrong type, or an id given twice (which copy counts would depend on the parser). A file that is
    /// not JSON, or not an object, is a <see cref="JsonException"/>.
    /// </summary>
    private List<KeyValuePair<string, McpServiceApiKey>> ReadFile(byte[] content, string path)
    {
        // A byte order mark (files written on Windows) is not part of the JSON; .NET's configuration files allow it too.
        var json = content.AsMemory();
        if (json.Span.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"the file must be one JSON object with a member per key id, not a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repeated = document.RootElement.EnumerateObject().Select(member => member.Name).Where(id => !seen.Add(id)).ToHashSet(StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<KeyValuePair<string, McpServiceApiKey>>();
        foreach (var member in document.RootElement.EnumerateObject())
        {
            if (repeated.Contains(member.Name))
            {
                if (reported.Add(member.Name))
                {
                    LogInvalidKey(_logger, member.Name, path, "the id is given more than once; give each key once");
                }

                continue;
            }

            if (member.Value.ValueKind != JsonValueKind.Object)
            {
                LogInvalidKey(_logger, member.Name, path, $"its entry must be a JSON object with {EntryMemberList}");
                continue;
            }

            if (member.Value.EnumerateObject().Select(m => m.Name).FirstOrDefault(name => !EntryMembers.Contains(name)) is { } unknown)
            {
                var suggestion = NameSuggestion.Closest(unknown, EntryMemberNames);
                LogInvalidKey(_logger, member.Name, path, $"its entry has '{unknown}'{(suggestion is null ? string.Empty : $" (did you mean {suggestion}?)")}, which API keys do not have ({EntryMemberList}); a misspelled setting could leave a revoked key working, so the key is refused until its entry is fixed");
                continue;
            }

            try
            {
                keys.Add(new(member.Name, member.Value.Deserialize<McpServiceApiKey>(FileJsonOptions) ?? new McpServiceApiKey()));
            }
            catch (JsonException ex)
            {
                LogInvalidKey(_logger, member.Name, path, $"its entry is not valid ({ex.Message})");
            }
        }

        return keys;
    }

    private static readonly string[] EntryMemberNames = typeof(McpServiceApiKey).GetProperties().Select(p => p.Name).ToArray();

    private static readonly string EntryMemberList = string.Join(", ", EntryMemberNames);

    private static readonly FrozenSet<string> EntryMembers = EntryMemberNames.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private FrozenDictionary<string, Entry> Build(IEnumerable<KeyValuePair<string, McpServiceApiKey>> keys, string source)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (id, key) in keys)
        {
            if (!IsValidKeyId(id) || !TryParseHash(key.Hash, out var hash))
            {
                LogInvalidKey(_logger, id, source, KeyRequirements);
                continue;
            }

            entries[id] = new Entry(hash, key.Disabled, new ApiKeyIdentity(id, string.IsNullOrWhiteSpace(key.Owner) ? id : key.Owner, key.Scopes.Where(s => !string.IsNullOrWhiteSpace(s)).ToArray()));
        }

        return entries.ToFrozenDictionary(StringComparer.Ordinal);
    }

    internal static bool TryParseHash(string? value, out byte[] hash)
    {
        hash = [];
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var hex = value.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) ? value[7..] : value;
        if (hex.Length != 64)
        {
            return false;
        }

        try
        {
            hash = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static readonly JsonSerializerOptions FileJsonOptions = new() { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false };

    private sealed record Entry(byte[] Hash, bool Disabled, ApiKeyIdentity Identity);

    [LoggerMessage(40, LogLevel.Information, "Loaded {Count} API key(s) from {Path}.")]
    private static partial void LogFileLoaded(ILogger logger, int count, string path);

    [LoggerMessage(41, LogLevel.Warning, "The API key file {Path} cannot be read ({Reason}); no keys from it are accepted until it can.")]
    private static partial void LogFileMissing(ILogger logger, string path, string reason);

    [LoggerMessage(42, LogLevel.Error, "The API key file {Path} is not a JSON object of keys ({Reason}); no keys from it are accepted until it is fixed.")]
    private static partial void LogFileInvalid(ILogger logger, string path, string reason);

    [LoggerMessage(43, LogLevel.Error, "API key '{KeyId}' from {Source} is ignored: {Reason}.")]
    private static partial void LogInvalidKey(ILogger logger, string keyId, string source, string reason);
}
