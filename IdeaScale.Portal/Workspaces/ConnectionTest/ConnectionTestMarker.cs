using System.Security.Cryptography;
using System.Text;

using Microsoft.AspNetCore.WebUtilities;

namespace IdeaScale.Portal.Workspaces.ConnectionTest;

/// <summary>
/// Marks the portal's own connection-test probes (<see cref="ScimConnectionTest"/>) with a random per-process value,
/// so the SCIM request recorder leaves them out of the provisioning log and the token's last use: they are the
/// portal testing itself, not the identity provider calling, and must not move the connection status. A sender that
/// does not know the value (anyone but this process) cannot have its requests left out.
/// </summary>
public sealed class ConnectionTestMarker
{
    public const string HeaderName = "X-IdeaScale-Connection-Test";

    public string Value { get; } = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public bool IsProbe(HttpRequest request) =>
        request.Headers.TryGetValue(HeaderName, out var sent) && sent.Count == 1 && sent[0] is { } value
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(value), Encoding.ASCII.GetBytes(Value));
}
