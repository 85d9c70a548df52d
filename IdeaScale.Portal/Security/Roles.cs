namespace IdeaScale.Portal.Security;

/// <summary>Platform roles. Workspace administration is a per-workspace membership, not a role.</summary>
public static class Roles
{
    public const string CustomerSuccess = "CustomerSuccess";
}
