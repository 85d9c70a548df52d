namespace IdeaScale.Portal.Security;

/// <summary>Platform roles. Workspace administration is a per-workspace membership, not a role.</summary>
public static class Roles
{
    public const string CustomerSuccess = "CustomerSuccess";

    /// <summary>
    /// Customer-success lead, given in addition to <see cref="CustomerSuccess"/>: may switch SCIM for every workspace
    /// and assigns workspaces to Customer Success Managers. A plain CustomerSuccess account switches SCIM only for the
    /// workspaces assigned to it.
    /// </summary>
    public const string CustomerSuccessLead = "CustomerSuccessLead";
}
