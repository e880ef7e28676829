// The Spark Thrift Server's half of the identity's protection, as the embedded WebHDFS
// does it for files: while the identity in the site's own ZooKeeper says "fenced" (a
// planned switchover's final rounds), every statement that would change data or metadata
// is refused; while it says "secondary", every such statement of an application user
// (a client left on the old primary) is, and the console's user, which applies the
// primary's table metadata there, still writes. Reads (queries, SHOW, DESCRIBE, SET)
// always run. On a real cluster a Ranger deny policy on Hive does this.
//
// Registered with spark.sql.extensions=lockstep.LockstepFence; the ZooKeeper comes from
// the driver's system property lockstep.zookeeper, so that the watch starts with the
// server's own session, before any client connects, and the console's user from
// lockstep.superuser. A statement runs as its session's user (hive.server2.enable.doAs).
// Compiled by minicluster/services.py.
package lockstep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.plans.logical.Command;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import scala.Function1;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

public final class LockstepFence extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
    static final String IDENTITY = "/lockstep/identity";
    // Commands that only read: everything else a statement's plan is rooted in is a write.
    static final Set<String> READING = Set.of(
            "SetCommand", "ResetCommand", "SetCatalogAndNamespace", "SetCatalogCommand",
            "SetNamespaceCommand", "ExplainCommand", "RefreshTableCommand", "RefreshTable",
            "CacheTableCommand", "UncacheTableCommand", "ClearCacheCommand", "CacheTable",
            "CacheTableAsSelect", "UncacheTable", "ClearCache");
    static final Watcher WATCHER = new Watcher();

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        WATCHER.start(System.getProperty("lockstep.zookeeper", ""));
        extensions.injectCheckRule(new AbstractFunction1<SparkSession, Function1<LogicalPlan, BoxedUnit>>() {
            @Override
            public Function1<LogicalPlan, BoxedUnit> apply(SparkSession session) {
                return new Rule();
            }
        });
        return BoxedUnit.UNIT;
    }

    static boolean writes(LogicalPlan plan) {
        if (!(plan instanceof Command)) {
            return false;
        }
        String name = plan.getClass().getSimpleName();
        return !(name.startsWith("Show") || name.startsWith("Describe") || READING.contains(name));
    }

    static final class Rule extends AbstractFunction1<LogicalPlan, BoxedUnit> {
        @Override
        public BoxedUnit apply(LogicalPlan plan) {
            if (!(WATCHER.fenced || WATCHER.secondary) || !writes(plan)) {
                return BoxedUnit.UNIT;
            }
            if (WATCHER.fenced) {
                throw new IllegalStateException(
                        "Writes are fenced on this cluster for a planned switchover (epoch "
                        + WATCHER.epoch + "): it is about to become the secondary; write to "
                        + "the new primary once the switchover is done");
            }
            String user = currentUser();
            if (!user.equals(System.getProperty("lockstep.superuser", ""))) {
                throw new IllegalStateException(
                        "Operation category WRITE is not supported in state standby: this "
                        + "cluster is the secondary of its pairing (epoch " + WATCHER.epoch
                        + "); " + user + " must write to the primary");
            }
            return BoxedUnit.UNIT;
        }
    }

    static String currentUser() {
        try {
            return UserGroupInformation.getCurrentUser().getShortUserName();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    // Reads the identity every POLL_MS on a thread of its own. Until the ZooKeeper
    // answers, nothing is fenced: the server serves its applications when ZooKeeper is
    // late; a fence is written seconds before the final round's snapshot.
    static final class Watcher implements Runnable {
        static final long POLL_MS = 200;
        volatile boolean fenced;
        volatile boolean secondary;
        volatile long epoch;
        private String hosts = "";
        private Thread thread;
        private final ObjectMapper json = new ObjectMapper();

        synchronized void start(String zookeeper) {
            if (thread != null || zookeeper.isEmpty()) {
                return;
            }
            hosts = zookeeper;
            thread = new Thread(this, "lockstep-fence");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            ZooKeeper client = null;
            while (true) {
                try {
                    if (client == null || !client.getState().isAlive()) {
                        if (client != null) {
                            client.close();
                        }
                        client = new ZooKeeper(hosts, 10000, event -> { });
                    }
                    read(client);
                } catch (KeeperException.ConnectionLossException e) {
                    // Still connecting, or the server is down: the last answer stands.
                } catch (Exception e) {
                    System.err.println("lockstep-fence: " + e);
                }
                try {
                    Thread.sleep(POLL_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void read(ZooKeeper client) throws Exception {
            byte[] data;
            try {
                data = client.getData(IDENTITY, false, null);
            } catch (KeeperException.NoNodeException e) {
                data = null;
            }
            JsonNode identity = data == null ? null : json.readTree(data);
            String role = identity == null ? "" : identity.path("role").asText("");
            boolean nowFenced = role.equals("primary") && identity.path("fenced").asBoolean(false);
            boolean nowSecondary = role.equals("secondary");
            epoch = identity == null ? 0 : identity.path("epoch").asLong(0);
            if (nowFenced != fenced || nowSecondary != secondary) {
                System.err.println("lockstep-fence: role " + (role.isEmpty() ? "none" : role)
                        + (nowFenced ? ", fenced" : ""));
            }
            fenced = nowFenced;
            secondary = nowSecondary;
        }
    }
}
