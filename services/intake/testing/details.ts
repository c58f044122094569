import type { RequestContent } from "../domain.ts";

/** A valid `ResourceRequested` detail; tests spread over it to break one field at a time. */
export const validDetail = (): RequestContent => ({
  requester: { email: "ana@example.com", name: "Ana" },
  resource: {
    type: "ec2",
    instanceType: "t3.micro",
    os: "amazon-linux-2023",
    name: "build-box",
    volume: { sizeGiB: 20, type: "gp3" },
    privateIp: "10.0.1.25",
    subnetId: "subnet-0abc1234",
  },
  justification: "Build agent for the release pipeline",
});
