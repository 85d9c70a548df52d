namespace IdeaScale.Portal.Scim.Tenancy;

/// <summary>Names the calling identity provider from its request, for the portal's "last used by" and the log.</summary>
public static class ScimClients
{
    public const string EntraId = "Microsoft Entra ID";
    public const string Okta = "Okta";

    /// <summary>
    /// The client of a request that failed authentication. Its User-Agent is whatever the sender wrote, so it never
    /// names a client: only an authenticated request is described by <see cref="Describe"/>.
    /// </summary>
    public const string Unauthenticated = "unauthenticated";
    private const int MaxLength = 200;

    /// <summary>
    /// For authenticated requests only (see <see cref="Unauthenticated"/>):
    /// "Microsoft Entra ID" for the Entra provisioning agent (user agent "Azure AD SCIM Provisioning", or the
    /// Adscimversion header Entra adds), "Okta" for Okta's agents, else the raw user agent (shortened), else null.
    /// </summary>
    public static string? Describe(HttpRequest request)
    {
        var agent = request.Headers.UserAgent.ToString();
        if (agent.Contains("Azure AD SCIM", StringComparison.OrdinalIgnoreCase)
            || agent.Contains("Azure Active Directory", StringComparison.OrdinalIgnoreCase)
            || agent.Contains("Microsoft Entra", StringComparison.OrdinalIgnoreCase)
            || request.Headers.ContainsKey("Adscimversion"))
        {
            return EntraId;
        }

        if (agent.Contains("Okta", StringComparison.OrdinalIgnoreCase))
        {
            return Okta;
        }

        agent = agent.Trim();
        return agent.Length == 0 ? null : agent.Length > MaxLength ? agent[..MaxLength] : agent;
    }
}
