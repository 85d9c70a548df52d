namespace IdeaScale.Portal.Scim.Auth;

/// <summary>Names the calling identity provider from its request, for the portal's "last used by" and the log.</summary>
public static class ScimClients
{
    public const string EntraId = "Microsoft Entra ID";
    public const string Okta = "Okta";
    private const int MaxLength = 200;

    /// <summary>
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
